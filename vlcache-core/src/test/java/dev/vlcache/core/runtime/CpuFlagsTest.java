package dev.vlcache.core.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class CpuFlagsTest {

	/** The first processor's flags line is read word by word; the model name's words are not flags. */
	@Test
	void readsTheFlagsOfTheFirstProcessor(@TempDir Path dir) throws IOException {
		Path cpuinfo = dir.resolve("cpuinfo");
		Files.writeString(cpuinfo, """
				processor\t: 0
				model name\t: Intel(R) Xeon(R) avx_vnni Processor
				flags\t\t: fpu sse2 avx512f avx512_vnni
				processor\t: 1
				flags\t\t: fpu amx_tile
				""");
		assertThat(CpuFlags.parse(cpuinfo)).containsExactlyInAnyOrder("fpu", "sse2", "avx512f", "avx512_vnni");
	}

	/** Without the file nothing is known, so the reduced (safe) range would be chosen. */
	@Test
	void aMissingFileGivesNoFlags(@TempDir Path dir) {
		assertThat(CpuFlags.parse(dir.resolve("absent"))).isEmpty();
	}

}
