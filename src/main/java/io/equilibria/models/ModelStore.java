package io.equilibria.models;

import io.equilibria.errors.ModelException;

import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.equilibria.compute.Compute;
import io.equilibria.image.AtomicFiles;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Model files: a parameter file {@code NAME.params} (DJL's {@link Block#saveParameters} format) with its card
 * {@code NAME.json} ({@link ModelCard}) beside it.
 *
 * <p>A model is named either by a path (anything with a folder separator or a {@code .json}/{@code .params}
 * ending, or an existing file) or by a bare name looked up, in this order, in: the folder given by
 * {@code -Dequilibria.models=DIR} or {@code EQUILIBRIA_MODELS}; {@code models/} of the working directory and of
 * the nearest enclosing Maven project; {@code <jar dir>/../models} and {@code <jar dir>/models} of the running jar.
 *
 * <p>Loading rebuilds the block from the card's architecture, checks the parameter file's SHA-256 against the
 * card, reads the parameters and checks that every parameter has the shape the architecture implies and that
 * the file holds nothing more. Every failure is a {@link ModelException} naming the file, never a stack trace.
 * Saving writes both files atomically (parameters first, then the card that vouches for them).
 */
public final class ModelStore {
    public static final String PARAMS = ".params";
    public static final String CARD = ".json";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES); // newer cards may carry more fields

    private ModelStore() {}

    // ---- finding ----------------------------------------------------------------------------------------------

    /** The folders a bare model name is looked up in, existing or not, in search order. */
    public static List<Path> searchPath() {
        Set<Path> dirs = new LinkedHashSet<>();
        String override = System.getProperty("equilibria.models");
        if (override == null || override.isBlank()) override = System.getenv("EQUILIBRIA_MODELS");
        if (override != null && !override.isBlank()) dirs.add(Paths.get(override).toAbsolutePath().normalize());
        Path cwd = Paths.get("").toAbsolutePath().normalize();
        dirs.add(cwd.resolve("models"));
        for (Path p = cwd; p != null; p = p.getParent()) { // run from a sub-folder of the repository
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("models"))) {
                dirs.add(p.resolve("models"));
                break;
            }
        }
        Path jar = jarFile();
        if (jar != null && jar.getParent() != null) {
            Path jarDir = jar.getParent();
            if (jarDir.getParent() != null) dirs.add(jarDir.getParent().resolve("models").normalize());
            dirs.add(jarDir.resolve("models"));
        }
        return new ArrayList<>(dirs);
    }

    private static Path jarFile() {
        try {
            var src = ModelStore.class.getProtectionDomain().getCodeSource();
            if (src == null) return null;
            Path p = Paths.get(src.getLocation().toURI()).toAbsolutePath().normalize();
            return Files.isRegularFile(p) ? p : null;
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Names of the models (cards) found on the search path, sorted. */
    public static List<String> available() {
        Set<String> names = new TreeSet<>();
        for (Path d : searchPath()) {
            if (!Files.isDirectory(d)) continue;
            try (Stream<Path> s = Files.list(d)) {
                s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(CARD))
                        .filter(n -> Files.exists(d.resolve(stem(n) + PARAMS)))
                        .forEach(n -> names.add(stem(n)));
            } catch (IOException ignored) {
                // unreadable folder: nothing to offer from it
            }
        }
        return new ArrayList<>(names);
    }

    /** Whether {@code s} is meant as a path rather than a bare name. */
    static boolean looksLikePath(String s) {
        return s.contains("/") || s.contains(java.io.File.separator) || s.endsWith(CARD) || s.endsWith(PARAMS)
                || !NAME.matcher(s).matches();
    }

    /** The card file of a model given by name or path; a {@link ModelException} says where it looked otherwise. */
    public static Path resolve(String nameOrPath) {
        if (nameOrPath == null || nameOrPath.isBlank()) throw new ModelException("no model named");
        String s = nameOrPath.trim();
        Path given = Paths.get(s);
        if (looksLikePath(s) || Files.isRegularFile(given)) {
            Path card = cardFor(given);
            if (Files.isDirectory(given)) throw new ModelException(given, "is a folder; name a model file (NAME.json or NAME.params)");
            if (!Files.isRegularFile(card)) {
                if (Files.isRegularFile(given)) throw new ModelException(given, "has no model card " + card.getFileName() + " beside it");
                throw new ModelException(given, "no such model file");
            }
            return card;
        }
        List<Path> searched = searchPath();
        for (Path d : searched) {
            Path card = d.resolve(s + CARD);
            if (Files.isRegularFile(card)) return card;
        }
        List<String> known = available();
        throw new ModelException("model '" + s + "' not found in " + searched
                + (known.isEmpty() ? " (no models there)" : " (available: " + String.join(", ", known) + ")")
                + "; give a path, or set -Dequilibria.models=DIR / EQUILIBRIA_MODELS");
    }

    /** NAME.json for NAME, NAME.json or NAME.params. */
    static Path cardFor(Path p) {
        String n = p.getFileName() == null ? "" : p.getFileName().toString();
        if (n.endsWith(CARD)) return p;
        return p.resolveSibling(stem(n) + CARD);
    }

    private static String stem(String fileName) {
        if (fileName.endsWith(CARD)) return fileName.substring(0, fileName.length() - CARD.length());
        if (fileName.endsWith(PARAMS)) return fileName.substring(0, fileName.length() - PARAMS.length());
        return fileName;
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    public static ModelCard readCard(Path card) {
        ModelCard c;
        try {
            c = MAPPER.readValue(Files.readAllBytes(card), ModelCard.class);
        } catch (JsonProcessingException e) {
            throw new ModelException(card, "not a valid model card (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new ModelException(card, "cannot read model card (" + e.getMessage() + ")");
        }
        if (c == null) throw new ModelException(card, "empty model card");
        if (c.format() > ModelCard.FORMAT) {
            throw new ModelException(card, "card format " + c.format() + " is newer than this program understands ("
                    + ModelCard.FORMAT + "); update equilibria");
        }
        if (c.architecture() == null || c.architecture().type() == null)
            throw new ModelException(card, "model card has no architecture");
        if (c.sha256() == null || c.sha256().isBlank())
            throw new ModelException(card, "model card has no sha256 of its parameter file");
        return c;
    }

    /** Loads a model by name or path onto {@code manager}. */
    public static StoredModel load(String nameOrPath, NDManager manager) {
        return load(resolve(nameOrPath), manager);
    }

    /** Loads the model whose card is {@code cardFile}. */
    public static StoredModel load(Path cardFile, NDManager manager) {
        ModelCard card = readCard(cardFile);
        Path params = cardFile.resolveSibling(card.parameters() != null ? card.parameters()
                : stem(cardFile.getFileName().toString()) + PARAMS);
        if (!Files.isRegularFile(params)) {
            throw new ModelException(params, "parameter file named by model card " + cardFile.getFileName() + " is missing");
        }
        String actual = sha256(params);
        if (!actual.equalsIgnoreCase(card.sha256().trim())) {
            throw new ModelException(params, "SHA-256 mismatch: model card " + cardFile.getFileName() + " expects "
                    + card.sha256().trim().toLowerCase() + " but the file has " + actual
                    + "; the file is corrupt, truncated or belongs to another card");
        }
        Architectures.Factory factory = Architectures.factory(card.architecture().type());
        if (factory == null) {
            throw new ModelException(cardFile, "unknown architecture '" + card.architecture().type() + "' (known: "
                    + Architectures.types() + ")");
        }
        Block block;
        try {
            block = factory.build(card.architecture().hyperParameters() == null ? Map.of() : card.architecture().hyperParameters());
        } catch (IllegalArgumentException e) {
            throw new ModelException(cardFile, "bad architecture: " + e.getMessage());
        }
        readParameters(block, factory, params, cardFile, manager);
        return new StoredModel(card, block, cardFile, params);
    }

    /**
     * Reads {@code params} into a freshly built {@code block}: shapes are first set by initialising on a scratch
     * manager, so the loaded arrays can be checked against what the architecture implies.
     */
    static void readParameters(Block block, Architectures.Factory factory, Path params, Path cardFile, NDManager manager) {
        Map<String, Shape> expected = new LinkedHashMap<>();
        String card = cardFile.getFileName().toString();
        try (NDManager scratch = manager.newSubManager()) {
            factory.initialize(block, scratch);
            for (Pair<String, Parameter> p : block.getParameters()) expected.put(p.getKey(), p.getValue().getArray().getShape());
            try (InputStream in = new BufferedInputStream(Files.newInputStream(params));
                 DataInputStream dis = new DataInputStream(in)) {
                block.loadParameters(manager, dis);
                if (dis.read() != -1) {
                    throw new ModelException(params, "holds more data than the architecture in " + card + " has parameters for "
                            + "(card and parameters do not belong together)");
                }
            }
        } catch (EOFException e) {
            throw new ModelException(params, "ends early: truncated, or the architecture in " + card
                    + " has more layers than the file holds");
        } catch (IOException e) {
            throw new ModelException(params, "cannot read parameters (" + e.getMessage() + ")");
        } catch (MalformedModelException | RuntimeException e) {
            if (e instanceof ModelException me) throw me;
            throw new ModelException(params, "does not match the architecture in " + card + " or is corrupt ("
                    + firstLine(e.getMessage()) + ")");
        }
        for (Pair<String, Parameter> p : block.getParameters()) {
            Shape want = expected.get(p.getKey());
            Shape got = p.getValue().isInitialized() ? p.getValue().getArray().getShape() : null;
            if (got == null || !got.equals(want)) {
                throw new ModelException(params, "parameter " + p.getKey() + " has shape " + got + " but the architecture in "
                        + card + " needs " + want + " (card and parameters do not belong together)");
            }
            try (NDArray bad = p.getValue().getArray().isNaN().logicalOr(p.getValue().getArray().isInfinite()).any()) {
                if (bad.getBoolean()) throw new ModelException(params, "parameter " + p.getKey() + " holds NaN or infinite values");
            }
        }
        try {
            factory.check(block, manager);
        } catch (RuntimeException e) {
            if (e instanceof ModelException me) throw me;
            throw new ModelException(params, "loaded, but does not run with the architecture in " + card + " ("
                    + firstLine(e.getMessage()) + ")");
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "no message";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    // ---- writing ----------------------------------------------------------------------------------------------

    /**
     * Writes {@code dir/NAME.params} and {@code dir/NAME.json} for {@code card.name()}; fills in the creation
     * time (if unset), library versions, file name, size and SHA-256. Returns the card as written.
     */
    public static ModelCard save(Path dir, ModelCard card, Block block) {
        if (card.name() == null || !NAME.matcher(card.name()).matches()) {
            throw new IllegalArgumentException("model name must be letters, digits, '.', '_' or '-', got '" + card.name() + "'");
        }
        Path params = dir.resolve(card.name() + PARAMS), cardFile = dir.resolve(card.name() + CARD);
        AtomicFiles.write(params, os -> {
            DataOutputStream dos = new DataOutputStream(os);
            block.saveParameters(dos);
            dos.flush();
        });
        String created = card.created() != null ? card.created() : Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        ModelCard done;
        try {
            done = card.withFile(created, versions(), params.getFileName().toString(), Files.size(params), sha256(params));
        } catch (IOException e) {
            throw new io.equilibria.errors.OutputException(params, "cannot read back: " + e.getMessage());
        }
        AtomicFiles.writeString(cardFile, cardText(done) + "\n");
        return done;
    }

    public static String cardText(ModelCard card) {
        try {
            return MAPPER.writeValueAsString(card);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** equilibria, DJL, PyTorch and Java versions, for cards. */
    public static Map<String, String> versions() {
        Map<String, String> v = new LinkedHashMap<>();
        String own = ModelStore.class.getPackage().getImplementationVersion();
        v.put("equilibria", own == null ? "dev" : own);
        v.put("djl", Engine.getDjlVersion());
        v.put("pytorch", Compute.engine().getVersion());
        v.put("java", System.getProperty("java.version"));
        v.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        return v;
    }

    /** Lower-case hex SHA-256 of a file. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new ModelException(file, "cannot read (" + e.getMessage() + ")");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
