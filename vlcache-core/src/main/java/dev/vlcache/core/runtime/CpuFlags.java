package dev.vlcache.core.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The instruction-set flags the processor reports (Linux's {@code /proc/cpuinfo}), for choosing between kernels'
 * variants. Empty where the file does not exist or cannot be read: callers then take their safe variant.
 */
final class CpuFlags {

	private static final Path CPUINFO = Path.of("/proc/cpuinfo");

	private static final Set<String> FLAGS = parse(CPUINFO);

	private CpuFlags() {
	}

	/** The flags of this machine's processor, read once. */
	static Set<String> read() {
		return FLAGS;
	}

	/** The flags of the first processor listed in {@code cpuinfo}, or none. */
	static Set<String> parse(Path cpuinfo) {
		try (Stream<String> lines = Files.lines(cpuinfo)) {
			return lines.filter(line -> line.startsWith("flags"))
				.findFirst()
				.map(line -> line.substring(line.indexOf(':') + 1).trim())
				.map(flags -> Arrays.stream(flags.split("\\s+")).collect(Collectors.toUnmodifiableSet()))
				.orElse(Set.of());
		}
		catch (IOException | RuntimeException ex) {
			// No cpuinfo (not Linux, or a sandbox hiding it): nothing is known, so nothing is assumed.
			return Set.of();
		}
	}

}
