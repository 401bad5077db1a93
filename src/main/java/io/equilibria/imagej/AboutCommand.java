package io.equilibria.imagej;

import ij.IJ;
import ij.plugin.PlugIn;
import io.equilibria.compute.Compute;
import io.equilibria.models.ModelStore;

/** {@code Plugins > Equilibria > About Equilibria}: version, compute device, the models found and where. */
public final class AboutCommand implements PlugIn {
    @Override
    public void run(String arg) {
        CommandSupport.runOffEdt("About Equilibria", () -> IJ.log(text()));
    }

    static String text() {
        String version = AboutCommand.class.getPackage().getImplementationVersion();
        return "Equilibria " + (version != null ? version : "(development build)") + "\n"
                + "device: " + Compute.describe(Compute.resolve("auto")) + "\n"
                + "models: " + String.join(", ", ModelStore.available()) + "\n"
                + "model search path: " + ModelStore.searchPath() + "\n"
                + "ImageJ " + IJ.getVersion() + ", Java " + System.getProperty("java.version");
    }
}
