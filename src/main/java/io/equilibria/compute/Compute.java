package io.equilibria.compute;

import io.equilibria.errors.Setting;

import io.equilibria.errors.DeviceException;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * The one place that starts the tensor engine. It forces DJL offline (nothing is downloaded at run time), keeps
 * the native caches under a directory the project controls ({@code ~/.cache/equilibria} unless the user names
 * another with {@code -Dequilibria.cache=DIR} or {@code EQUILIBRIA_CACHE=DIR}) and resolves the user's device
 * request without ever falling back silently.
 */
public final class Compute {
    private static volatile boolean configured;

    private Compute() {}

    /** Cache root for natives and other derived files. */
    public static Path cacheDir() {
        String dir = System.getProperty("equilibria.cache");
        if (dir == null || dir.isBlank()) dir = System.getenv("EQUILIBRIA_CACHE");
        if (dir == null || dir.isBlank()) dir = Paths.get(System.getProperty("user.home"), ".cache", "equilibria").toString();
        return Paths.get(dir).toAbsolutePath();
    }

    /** Sets the offline and cache properties before DJL or JavaCPP read them. Idempotent. */
    public static synchronized void configure() {
        if (configured) return;
        Path cache = cacheDir();
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("DJL_CACHE_DIR", cache.resolve("djl").toString());
        setIfAbsent("ENGINE_CACHE_DIR", cache.resolve("djl").toString());
        setIfAbsent("org.bytedeco.javacpp.cachedir", cache.resolve("javacpp").toString());
        setIfAbsent("ai.djl.default_engine", "PyTorch");
        NativeMemory.tuneAllocator(); // before the first tensor: see there why
        OneDnn.capInstructionSet();    // before the engine loads: see there why
        configured = true;
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }

    /** The PyTorch engine, started offline. */
    public static Engine engine() {
        configure();
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        // inside ImageJ the plugin class loader must be the context loader or DJL finds no engine
        Thread.currentThread().setContextClassLoader(Compute.class.getClassLoader());
        try {
            return Engine.getEngine("PyTorch");
        } catch (RuntimeException | LinkageError e) {
            throw new DeviceException("could not start the PyTorch engine offline (" + e.getMessage()
                    + "); check that pytorch-native-cpu is on the class path and " + cacheDir() + " is writable", e);
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    /**
     * Resolves {@code auto|cpu|gpu|gpu:N}. {@code auto} picks the first GPU if the engine sees one, else the CPU,
     * and says which; {@code gpu} without a GPU is an error that explains how to get GPU natives.
     */
    public static Device resolve(String request) {
        String r = request == null ? "auto" : request.trim().toLowerCase(Locale.ROOT);
        Engine engine = engine();
        int gpus = engine.getGpuCount();
        switch (r) {
            case "auto":
                return gpus > 0 ? Device.gpu(0) : Device.cpu();
            case "cpu":
                return Device.cpu();
            default:
                if (r.equals("gpu") || r.startsWith("gpu:") || r.equals("cuda")) {
                    int id = r.startsWith("gpu:") ? parseId(r.substring(4)) : 0;
                    if (gpus == 0) {
                        throw new DeviceException("a GPU was requested but the PyTorch engine (" + engine.getVersion()
                                + ", " + flavour() + ") sees none. Install CUDA libtorch and set PYTORCH_LIBRARY_PATH, "
                                + "PYTORCH_VERSION=2.7.1, PYTORCH_FLAVOR=cu128 (see README, 'GPU'), or set " + Setting.DEVICE + " to cpu");
                    }
                    if (id >= gpus) throw new DeviceException("GPU " + id + " requested but only " + gpus + " visible");
                    return Device.gpu(id);
                }
                throw new IllegalArgumentException("unknown device '" + request + "' (use auto, cpu, gpu or gpu:N)");
        }
    }

    private static int parseId(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad GPU index '" + s + "'");
        }
    }

    /** Which native flavour was loaded, for reports. */
    public static String flavour() {
        String f = System.getenv("PYTORCH_FLAVOR");
        return f == null ? "cpu natives from pytorch-native-cpu" : "flavour " + f;
    }

    /** A human-readable device description for reports, e.g. {@code cpu (PyTorch 2.7.1, 1 thread of 2 cores, oneDNN <= AVX2)}. */
    public static String describe(Device device) {
        Engine e = engine();
        String isa = OneDnn.capped() != null ? ", oneDNN <= " + OneDnn.capped() : "";
        // the PyTorch threads when the run fixed them (-Dai.djl.pytorch.num_threads, as a Spark task does), else the cores
        String set = System.getProperty("ai.djl.pytorch.num_threads");
        int cores = Runtime.getRuntime().availableProcessors();
        String threads = device.isGpu() ? "" : (set != null ? ", " + set.trim() + " thread" + (set.trim().equals("1") ? "" : "s")
                + " of " + cores + " cores" : ", " + cores + " cores") + isa;
        String name = device.isGpu() ? "gpu:" + device.getDeviceId() : "cpu";
        return name + " (PyTorch " + e.getVersion() + threads + ")";
    }

    /**
     * For computations that run in plain Java (PSF generation, metrics): accepts {@code auto} and {@code cpu}, and
     * refuses a GPU request instead of ignoring it. Returns the description to report.
     */
    public static String plainJava(String request, String what) {
        String r = request == null ? "auto" : request.trim().toLowerCase(Locale.ROOT);
        if (r.equals("auto") || r.equals("cpu")) return "cpu (plain Java)";
        if (r.equals("gpu") || r.startsWith("gpu:") || r.equals("cuda")) {
            throw new DeviceException(what + " runs in plain Java on the CPU; it has no GPU path (set " + Setting.DEVICE + " to cpu or auto)");
        }
        throw new IllegalArgumentException("unknown device '" + request + "' (use auto, cpu, gpu or gpu:N)");
    }

    /** A new base manager on the device. */
    public static NDManager manager(Device device) {
        engine();
        return NDManager.newBaseManager(device);
    }
}
