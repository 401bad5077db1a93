package io.equilibria.spark;

import java.io.Serializable;

/**
 * What a task of the image stage sends the driver: the image's row (JSON, as the CLI's report writes it), or, for an
 * image too large for one task's memory budget, how many tile tasks it needs and the grid.
 */
record ImageOutcome(String relative, String rowJson, int parts, String grid) implements Serializable {
    static ImageOutcome row(String relative, String json) { return new ImageOutcome(relative, json, 1, null); }

    static ImageOutcome split(String relative, int parts, String grid) { return new ImageOutcome(relative, null, parts, grid); }

    boolean isSplit() { return rowJson == null; }
}
