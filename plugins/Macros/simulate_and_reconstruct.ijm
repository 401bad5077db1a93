// Equilibria example: simulate a blurred, noisy observation of a test scene, then deconvolve it with
// Richardson-Lucy and with the shipped DEQ model. Run headless with a display:
//   xvfb-run -a java -Dplugins.dir=REPO -cp ij.jar ij.ImageJ -batch plugins/Macros/simulate_and_reconstruct.ijm
newImage("scene", "32-bit ramp", 128, 128, 1);
run("Add Specified Noise...", "standard=0.2");
run("Gaussian Blur...", "sigma=1");
run("Simulate Measurement...", "psf=gaussian:2 noise_sigma=0.01 photons=0 seed=1 boundary=extended");
blurred = getTitle();
run("Deblur (DEQ)...", "method=rl psf=gaussian:2 model=default noise_sigma=0 iterations=30 boundary=extended device=cpu");
print("Richardson-Lucy: " + getTitle());
selectImage(blurred);
run("Deblur (DEQ)...", "method=deq psf=gaussian:2 model=default noise_sigma=0 iterations=0 boundary=extended device=cpu");
print("DEQ: " + getTitle());
print(getMetadata("Info"));
