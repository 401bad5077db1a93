package io.equilibria;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package graph of src/main runs one way (docs/ARCHITECTURE.md): no cycle between packages (each package, nested
 * ones included, is a slice), and the core (everything but the cli, imagej, bench and experiment front ends) names
 * neither a front end nor Commons CLI, and ImageJ only as the image file reader/writer (io.equilibria.image).
 */
class ArchitectureTest {
    private static final String[] FRONT_ENDS = {"io.equilibria.cli..", "io.equilibria.imagej..", "io.equilibria.bench..",
            "io.equilibria.experiment.."};
    private static JavaClasses main;

    @BeforeAll
    static void importClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.equilibria");
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("io.equilibria.(**)").should().beFreeOfCycles().check(main);
    }

    @Test
    void coreKnowsNoFrontEnd() {
        noClasses().that().resideOutsideOfPackages(FRONT_ENDS)
                .should().dependOnClassesThat().resideInAnyPackage(FRONT_ENDS)
                .orShould().dependOnClassesThat().resideInAnyPackage("org.apache.commons.cli..", "ij.gui..", "ij.plugin..", "ij.macro..")
                .check(main);
        // ImageJ's image classes are the file reader/writer of io.equilibria.image, and nowhere else in the core
        noClasses().that().resideOutsideOfPackages(FRONT_ENDS).and().resideOutsideOfPackage("io.equilibria.image..")
                .should().dependOnClassesThat().resideInAPackage("ij..").check(main);
    }

    @Test
    void frontEndsDoNotCallEachOther() {
        noClasses().that().resideInAPackage("io.equilibria.imagej..").should().dependOnClassesThat()
                .resideInAnyPackage("io.equilibria.cli..", "io.equilibria.bench..", "io.equilibria.experiment..").check(main);
        noClasses().that().resideOutsideOfPackage("io.equilibria.imagej..").should().dependOnClassesThat()
                .resideInAPackage("io.equilibria.imagej..").check(main);
    }

    /**
     * The core names a user's settings by concept (errors/Setting), never by a command-line flag, so ImageJ users are
     * not told about options they do not have: no string literal in a core source says "--something".
     */
    @Test
    void coreMessagesNameNoFlag() throws java.io.IOException {
        java.util.regex.Pattern literal = java.util.regex.Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
        java.util.regex.Pattern flag = java.util.regex.Pattern.compile("(^|[^\\w-])--[a-z]");
        java.util.List<String> found = new java.util.ArrayList<>();
        java.nio.file.Path root = java.nio.file.Path.of("src/main/java/io/equilibria");
        try (var files = java.nio.file.Files.walk(root)) {
            for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
                String rel = root.relativize(f).toString();
                if (!rel.endsWith(".java") || rel.matches("(cli|imagej|bench|experiment)/.*")) continue;
                java.util.List<String> lines = java.nio.file.Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    String code = lines.get(i).trim();
                    if (code.startsWith("*") || code.startsWith("/*") || code.startsWith("//")) continue; // comments may cite flags
                    java.util.regex.Matcher m = literal.matcher(lines.get(i));
                    while (m.find()) if (flag.matcher(m.group()).find()) found.add(rel + ":" + (i + 1) + " " + m.group());
                }
            }
        }
        org.junit.jupiter.api.Assertions.assertTrue(found.isEmpty(), "core strings naming a flag:\n" + String.join("\n", found));
    }
}
