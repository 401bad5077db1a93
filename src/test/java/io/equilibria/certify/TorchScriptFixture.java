package io.equilibria.certify;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a genuine TorchScript archive by hand (there is no Python/torch on the test machines), for a tiny classifier
 * {@code logits = linear(flatten(x, 1))} or {@code linear(relu(linear(flatten(x, 1))))} with the given weights, in
 * the layout {@code torch.jit.save} produces:
 * <ul>
 * <li>{@code archive/data.pkl}: pickle protocol 2 of the module object ({@code GLOBAL __torch__ TinyClassifier},
 * EMPTY_TUPLE, NEWOBJ, then BUILD with a dict of its attributes); each parameter is
 * {@code torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())} whose storage
 * is a persistent id {@code ("storage", torch.FloatStorage, key, "cpu", numel)} naming the record
 * {@code archive/data/<key>} (raw little-endian float32);</li>
 * <li>{@code archive/code/__torch__.py}: the class's TorchScript source ({@code __parameters__}, typed attributes,
 * {@code forward});</li>
 * <li>{@code archive/constants.pkl} (an empty tuple), {@code archive/version}, {@code archive/byteorder};</li>
 * </ul>
 * all entries stored uncompressed with their data 64-byte aligned (padding in a local-header extra field, as torch's
 * stream writer does).
 */
public final class TorchScriptFixture {
    static final String CLASS = "TinyClassifier";

    private TorchScriptFixture() {}

    /** A one-layer classifier: logits = flatten(x) · wᵀ + b, with w of shape (classes, C·H·W). */
    public static void writeLinear(Path file, float[][] w, float[] b) throws IOException {
        Map<String, float[][]> params = new LinkedHashMap<>();
        params.put("weight", w);
        params.put("bias", new float[][] {b});
        String body = "    h = torch.flatten(x, 1)\n"
                + "    return torch.linear(h, self.weight, self.bias)\n";
        write(file, params, body);
    }

    /** A two-layer classifier: logits = relu(flatten(x) · w1ᵀ + b1) · w2ᵀ + b2. */
    static void writeMlp(Path file, float[][] w1, float[] b1, float[][] w2, float[] b2) throws IOException {
        Map<String, float[][]> params = new LinkedHashMap<>();
        params.put("w1", w1);
        params.put("b1", new float[][] {b1});
        params.put("w2", w2);
        params.put("b2", new float[][] {b2});
        String body = "    h = torch.flatten(x, 1)\n"
                + "    h0 = torch.relu(torch.linear(h, self.w1, self.b1))\n"
                + "    return torch.linear(h0, self.w2, self.b2)\n";
        write(file, params, body);
    }

    /** Parameters named "b…"/"bias" are vectors (the single row of their float[][]), the others matrices. */
    private static void write(Path file, Map<String, float[][]> params, String forwardBody) throws IOException {
        StringBuilder code = new StringBuilder();
        code.append("class ").append(CLASS).append("(Module):\n");
        code.append("  __parameters__ = [");
        for (String name : params.keySet()) code.append('"').append(name).append("\", ");
        code.append("]\n  __buffers__ = []\n");
        for (String name : params.keySet()) code.append("  ").append(name).append(" : Tensor\n");
        code.append("  training : bool\n");
        code.append("  def forward(self: __torch__.").append(CLASS).append(",\n    x: Tensor) -> Tensor:\n");
        code.append(forwardBody);

        Pickle data = new Pickle();
        List<byte[]> storages = new ArrayList<>();
        data.global("__torch__", CLASS).op(Pickle.EMPTY_TUPLE).op(Pickle.NEWOBJ).op(Pickle.EMPTY_DICT).op(Pickle.MARK);
        for (Map.Entry<String, float[][]> p : params.entrySet()) {
            float[][] m = p.getValue();
            boolean vector = p.getKey().startsWith("b");
            long[] size = vector ? new long[] {m[0].length} : new long[] {m.length, m[0].length};
            long[] stride = vector ? new long[] {1} : new long[] {m[0].length, 1};
            ByteBuffer buf = ByteBuffer.allocate(m.length * m[0].length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float[] row : m) {
                if (row.length != m[0].length) throw new IllegalArgumentException("ragged " + p.getKey());
                for (float v : row) buf.putFloat(v);
            }
            String key = Integer.toString(storages.size());
            storages.add(buf.array());
            data.string(p.getKey()).tensor(key, m.length * m[0].length, size, stride);
        }
        data.string("training").op(Pickle.NEWFALSE);
        data.op(Pickle.SETITEMS).op(Pickle.BUILD).op(Pickle.STOP);

        Pickle constants = new Pickle();
        constants.op(Pickle.EMPTY_TUPLE).op(Pickle.STOP);

        try (Counting counting = new Counting(Files.newOutputStream(file));
             ZipOutputStream zip = new ZipOutputStream(counting, StandardCharsets.UTF_8)) {
            put(zip, counting, "archive/data.pkl", data.bytes());
            put(zip, counting, "archive/code/__torch__.py", code.toString().getBytes(StandardCharsets.UTF_8));
            put(zip, counting, "archive/constants.pkl", constants.bytes());
            for (int i = 0; i < storages.size(); i++) put(zip, counting, "archive/data/" + i, storages.get(i));
            put(zip, counting, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            put(zip, counting, "archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** One stored (uncompressed) entry whose data starts at a multiple of 64 bytes in the file. */
    private static void put(ZipOutputStream zip, Counting out, String name, byte[] content) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(content.length);
        e.setCompressedSize(content.length);
        CRC32 crc = new CRC32();
        crc.update(content);
        e.setCrc(crc.getValue());
        e.setTime(315532800000L + 86_400_000L); // a fixed DOS time, so the bytes are reproducible
        zip.flush();
        long header = out.count + 30 + name.getBytes(StandardCharsets.UTF_8).length + 4; // local header + extra's id/len
        int pad = (int) ((64 - header % 64) % 64);
        byte[] extra = new byte[4 + pad];
        extra[0] = 'F';
        extra[1] = 'B';
        extra[2] = (byte) pad;
        extra[3] = (byte) (pad >>> 8);
        e.setExtra(extra);
        zip.putNextEntry(e);
        zip.flush();
        if (out.count % 64 != 0) throw new IllegalStateException("entry " + name + " not aligned: " + out.count);
        zip.write(content);
        zip.closeEntry();
    }

    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(OutputStream out) { super(out); }

        @Override public void write(int b) throws IOException { out.write(b); count++; }
        @Override public void write(byte[] b, int off, int len) throws IOException { out.write(b, off, len); count += len; }
    }

    /** The few pickle (protocol 2) opcodes torch's own pickler emits for a module of tensors. */
    private static final class Pickle {
        static final int MARK = '(', STOP = '.', TUPLE = 't', EMPTY_TUPLE = ')', EMPTY_DICT = '}', SETITEMS = 'u',
                BUILD = 'b', REDUCE = 'R', BINPERSID = 'Q', NEWOBJ = 0x81, NEWTRUE = 0x88, NEWFALSE = 0x89;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle() {
            out.write(0x80); // PROTO 2
            out.write(2);
        }

        Pickle op(int code) {
            out.write(code);
            return this;
        }

        Pickle global(String module, String name) {
            out.write('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
            return this;
        }

        Pickle string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.write('X'); // BINUNICODE, 4-byte little-endian length
            le32(b.length);
            out.writeBytes(b);
            return this;
        }

        Pickle integer(long v) {
            if (v >= 0 && v < 256) {
                out.write('K');
                out.write((int) v);
            } else if (v >= 0 && v < 65536) {
                out.write('M');
                out.write((int) v & 0xff);
                out.write((int) (v >>> 8) & 0xff);
            } else {
                out.write('J');
                le32((int) v);
            }
            return this;
        }

        Pickle tuple(long[] values) {
            op(MARK);
            for (long v : values) integer(v);
            return op(TUPLE);
        }

        /** _rebuild_tensor_v2((storage persistent id), 0, size, stride, True, OrderedDict()). */
        Pickle tensor(String key, long numel, long[] size, long[] stride) {
            global("torch._utils", "_rebuild_tensor_v2").op(MARK);
            op(MARK).string("storage").global("torch", "FloatStorage").string(key).string("cpu").integer(numel)
                    .op(TUPLE).op(BINPERSID);
            integer(0).tuple(size).tuple(stride).op(NEWTRUE);
            global("collections", "OrderedDict").op(EMPTY_TUPLE).op(REDUCE);
            return op(TUPLE).op(REDUCE);
        }

        private void le32(int v) {
            for (int i = 0; i < 4; i++) out.write((v >>> (8 * i)) & 0xff);
        }

        byte[] bytes() { return out.toByteArray(); }
    }
}
