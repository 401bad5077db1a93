package io.equilibria.models;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a model is and how it came to be, stored as {@code NAME.json} beside its parameter file {@code NAME.params}:
 * enough to rebuild the network ({@link Architecture}), to repeat the training ({@link Training}: command line,
 * data, seed, settings, per-epoch history), to judge it (validation metrics) and to trust the file (SHA-256).
 *
 * @param format         card format version ({@link #FORMAT})
 * @param name           the model's name, also the file stem
 * @param kind           what it is for: {@code denoiser}, {@code deq-deblur}, {@code deq-cs}, …
 * @param description    one line for people
 * @param architecture   block type and every hyper-parameter
 * @param training       how it was trained
 * @param validation     metrics on held-out data
 * @param created        creation time, ISO-8601 UTC
 * @param versions       equilibria, DJL, PyTorch, Java
 * @param parameters     parameter file name, relative to the card's folder
 * @param parameterBytes its size
 * @param sha256         its SHA-256, lower-case hex
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelCard(int format, String name, String kind, String description, Architecture architecture,
                        Training training, Map<String, Object> validation, String created,
                        Map<String, String> versions, String parameters, Long parameterBytes, String sha256) {
    public static final int FORMAT = 1;

    /** @param type the block's class name; @param hyperParameters everything its constructor needs */
    public record Architecture(String type, Map<String, Object> hyperParameters) {}

    /**
     * @param command  the command line that trained it
     * @param data     data sources (folders, file lists, phantom generator, exclusions)
     * @param seed     training seed
     * @param settings optimiser, schedule, patch size, noise model, …
     * @param history  one entry per epoch (loss, validation PSNR, seconds)
     * @param seconds  total training time
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Training(String command, List<Map<String, Object>> data, Long seed, Map<String, Object> settings,
                           List<Map<String, Object>> history, Double seconds) {}

    public static ModelCard of(String name, String kind, String description, Architecture architecture,
                               Training training, Map<String, Object> validation) {
        return new ModelCard(FORMAT, name, kind, description, architecture, training,
                validation == null ? null : new LinkedHashMap<>(validation), null, null, null, null, null);
    }

    /** The same card for the given parameter file facts (filled in by {@link ModelStore#save}). */
    public ModelCard withFile(String created, Map<String, String> versions, String parameters, long bytes, String sha) {
        return new ModelCard(format, name, kind, description, architecture, training, validation, created, versions,
                parameters, bytes, sha);
    }
}
