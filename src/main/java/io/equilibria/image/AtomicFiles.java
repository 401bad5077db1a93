package io.equilibria.image;

import io.equilibria.errors.OutputException;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Writes a file through a temporary sibling and a rename, so a reader never sees a half-written result. */
public final class AtomicFiles {
    private AtomicFiles() {}

    public static void write(Path out, ImageFiles.StreamWriter writer) {
        Path target = out.toAbsolutePath();
        Path dir = target.getParent();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new OutputException(out, "cannot create output directory " + dir + " (" + e.getMessage() + ")");
        }
        if (!Files.isWritable(dir)) throw new OutputException(out, "output directory " + dir + " is not writable");
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + target.getFileName(), ".part");
            try (OutputStream os = ImageFiles.buffered(Files.newOutputStream(tmp))) {
                writer.write(os);
            }
            try { // temp files are created private; a result should be readable like any other file
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (AccessDeniedException e) {
            throw new OutputException(out, "permission denied (" + e.getMessage() + ")");
        } catch (IOException | UncheckedIOException e) {
            throw new OutputException(out, "write failed: " + e.getMessage());
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the temporary name starts with a dot and ends with .part
                }
            }
        }
    }

    public static void writeString(Path out, String text) {
        write(out, os -> os.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
