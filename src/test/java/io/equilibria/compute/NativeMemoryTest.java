package io.equilibria.compute;

import com.sun.jna.Platform;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeMemoryTest {
    @Test
    void allocatorIsTunedOnceWhenTheEngineIsConfigured() {
        Compute.engine();
        String first = NativeMemory.tuneAllocator();
        assertEquals(first, NativeMemory.tuneAllocator(), "the outcome of the first call is kept");
        if (Platform.isLinux() && !Boolean.getBoolean("equilibria.malloc.default")) {
            assertTrue(first.startsWith("glibc mallopt"), first); // glibc accepts all three parameters
        }
        assertTrue(NativeMemory.trim() || !Platform.isLinux());
    }
}
