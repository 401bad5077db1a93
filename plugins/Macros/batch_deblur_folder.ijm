// Equilibria example: deblur every TIFF (.tif/.tiff) of a folder with Plugins > Equilibria > Deblur (DEQ)... and save
// each result as NAME_deblurred.tif in an output folder (created if needed). Stacks are deblurred slice by slice.
//
// Batch, with the folders as the macro argument "IN,OUT" (OUT defaults to IN/deblurred); anything after a second comma
// replaces the Deblur (DEQ)... options below (it may itself contain commas, e.g. psf=airy:1.4,520,65):
//   xvfb-run -a java -Dplugins.dir=REPO -cp ij.jar ij.ImageJ -batch plugins/Macros/batch_deblur_folder.ijm "/data/in,/data/out"
//   ... -batch plugins/Macros/batch_deblur_folder.ijm "/data/in,/data/out,method=rl psf=gaussian:2 iterations=30 device=cpu"
// Interactive (Plugins > Macros > Run..., no argument): asks for the two folders.

options = "method=deq psf=gaussian:2 model=default noise_sigma=0 iterations=0 boundary=extended device=auto";

arg = getArgument();
if (arg == "") {
    input = getDirectory("Folder of TIFF images to deblur");
    output = getDirectory("Folder for the deblurred images");
} else {
    c1 = indexOf(arg, ",");
    if (c1 < 0) {
        input = arg;
        output = "";
    } else {
        input = substring(arg, 0, c1);
        output = substring(arg, c1 + 1);
        c2 = indexOf(output, ",");
        if (c2 >= 0) {
            options = substring(output, c2 + 1);
            output = substring(output, 0, c2);
        }
    }
    input = String.trim(input);
    output = String.trim(output);
    if (!endsWith(input, File.separator)) input = input + File.separator;
    if (output == "") output = input + "deblurred";
}
if (!File.isDirectory(input)) exit("No such input folder: " + input);
if (!endsWith(output, File.separator)) output = output + File.separator;
if (!File.isDirectory(output)) File.makeDirectory(output);
if (!File.isDirectory(output)) exit("Cannot create the output folder: " + output);

setBatchMode(true);
print("Deblur (DEQ)... " + options);
print("input: " + input + "  output: " + output);
files = getFileList(input);
done = 0;
for (i = 0; i < files.length; i++) {
    name = files[i];
    lower = toLowerCase(name);
    if (!(endsWith(lower, ".tif") || endsWith(lower, ".tiff"))) continue;
    open(input + name);
    source = getImageID();
    base = File.nameWithoutExtension;
    run("Deblur (DEQ)...", options);
    if (getImageID() == source) {
        print("  " + name + ": no result (see the error above)");
    } else {
        saveAs("Tiff", output + base + "_deblurred.tif");
        print("  " + name + " -> " + base + "_deblurred.tif (" + getWidth() + "x" + getHeight() + ", " + nSlices + " slice(s))");
        close();
        done++;
    }
    selectImage(source);
    close();
}
print("deblurred " + done + " image(s) into " + output);
