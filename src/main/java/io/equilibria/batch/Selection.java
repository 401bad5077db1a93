package io.equilibria.batch;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;

/**
 * Which files of an input directory belong to a batch: top level only or recursive, include/exclude globs, and a
 * shard. A glob without '/' is matched against the file name (so {@code *.tif} selects TIFFs at any depth); one with
 * '/' against the path relative to the input directory ({@code day1/**.tif}).
 */
public record Selection(boolean recursive, List<String> includes, List<String> excludes, Shard shard) {
    /** Every image at the top level of the directory. */
    public static final Selection ALL = new Selection(false, List.of(), List.of(), Shard.ALL);

    public Selection {
        includes = List.copyOf(includes);
        excludes = List.copyOf(excludes);
        for (String g : includes) matcher(g); // invalid globs fail here, before any work
        for (String g : excludes) matcher(g);
    }

    public boolean accepts(Path relative) {
        if (!includes.isEmpty() && includes.stream().noneMatch(g -> matches(g, relative))) return false;
        return excludes.stream().noneMatch(g -> matches(g, relative));
    }

    private static boolean matches(String glob, Path relative) {
        Path target = glob.contains("/") ? relative : relative.getFileName();
        return matcher(glob).matches(target);
    }

    private static PathMatcher matcher(String glob) {
        try {
            return FileSystems.getDefault().getPathMatcher("glob:" + glob);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad glob '" + glob + "': " + e.getMessage());
        }
    }
}
