package dev.vlcache.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Peak resident memory of this process (Linux {@code VmHWM}), resettable between benchmark cells. */
final class PeakMemory {

	private static final Path STATUS = Path.of("/proc/self/status");

	private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

	private PeakMemory() {
	}

	/** Resets the high-water mark to the current resident size (writing 5 to clear_refs); no-op elsewhere. */
	static void reset() {
		try {
			Files.writeString(CLEAR_REFS, "5");
		}
		catch (IOException | UnsupportedOperationException ex) {
			// Not Linux, or not permitted: the peak then covers the whole run so far.
		}
	}

	/** Peak resident bytes since the last reset, or -1 when unknown. */
	static long peakBytes() {
		try {
			for (String line : Files.readAllLines(STATUS)) {
				if (line.startsWith("VmHWM:")) {
					return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			return -1;
		}
		return -1;
	}

}
