package io.equilibria.report;

import io.equilibria.image.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Line and bar plots written as PNG with XChart (headless), atomically. */
public final class Charts {
    private Charts() {}

    /** One line of a plot; {@code markers} draws points instead of a line (for sparse data such as sweeps). */
    public record Series(String name, double[] x, double[] y, boolean markers) {
        public static Series line(String name, double[] x, double[] y) { return new Series(name, x, y, false); }
        public static Series points(String name, double[] x, double[] y) { return new Series(name, x, y, true); }
    }

    public static final class Plot {
        private final String title, xLabel, yLabel;
        private boolean logX, logY;
        private final List<Series> series = new ArrayList<>();

        public Plot(String title, String xLabel, String yLabel) {
            this.title = title;
            this.xLabel = xLabel;
            this.yLabel = yLabel;
        }

        public Plot logX() { logX = true; return this; }
        public Plot logY() { logY = true; return this; }
        public Plot add(Series s) { series.add(s); return this; }

        public void writePng(Path out) {
            System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
            XYChart chart = new XYChartBuilder().width(800).height(520).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
            chart.getStyler().setXAxisLogarithmic(logX);
            chart.getStyler().setYAxisLogarithmic(logY);
            chart.getStyler().setChartBackgroundColor(Color.WHITE);
            chart.getStyler().setPlotGridLinesVisible(true);
            if (!logX) chart.getStyler().setXAxisDecimalPattern("0.###"); // XChart's default prints ticks like 0.2808115711
            if (!logY) chart.getStyler().setYAxisDecimalPattern("0.###");
            chart.getStyler().setLegendVisible(series.size() > 1);
            for (Series s : series) {
                double[][] clean = positive(s, logX, logY);
                if (clean[0].length == 0) continue;
                XYSeries xy = chart.addSeries(s.name(), clean[0], clean[1]);
                if (s.markers()) {
                    xy.setMarker(SeriesMarkers.CIRCLE);
                } else {
                    xy.setMarker(SeriesMarkers.NONE);
                }
            }
            AtomicFiles.write(out, os -> os.write(BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG)));
        }

        /** Drops non-finite points and, on log axes, non-positive ones (XChart refuses them). */
        private static double[][] positive(Series s, boolean logX, boolean logY) {
            List<double[]> keep = new ArrayList<>();
            for (int i = 0; i < s.x().length; i++) {
                double x = s.x()[i], y = s.y()[i];
                if (!Double.isFinite(x) || !Double.isFinite(y) || (logX && x <= 0) || (logY && y <= 0)) continue;
                keep.add(new double[] {x, y});
            }
            double[][] out = new double[2][keep.size()];
            for (int i = 0; i < keep.size(); i++) {
                out[0][i] = keep.get(i)[0];
                out[1][i] = keep.get(i)[1];
            }
            return out;
        }
    }

    /** One bar per category, each labelled with its value on a linear axis from 0 to {@code yMax}. */
    public static void writeBars(Path out, String title, String yLabel, List<String> categories, List<Double> values, double yMax) {
        System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(520).title(title).yAxisTitle(yLabel).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(yMax);
        chart.getStyler().setYAxisDecimalPattern("0.###");
        chart.addSeries(yLabel, categories, values);
        AtomicFiles.write(out, os -> os.write(BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG)));
    }
}
