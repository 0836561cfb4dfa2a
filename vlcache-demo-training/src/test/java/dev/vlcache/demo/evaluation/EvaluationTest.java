package dev.vlcache.demo.evaluation;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class EvaluationTest {

	@Test
	void severalSeedsShortAnswersOnlyWriteAReportPerSeedAndATableOfTheTargets(@TempDir Path out) throws Exception {
		Evaluation.main(new String[] { "--seeds", "3,99", "--questions", "5", "--short-only", "--budgets", "0.05,0.1",
				"--out", out.toString() });
		for (long seed : new long[] { 3, 99 }) {
			Path dir = out.resolve("seed-" + seed);
			assertThat(dir.resolve("accuracy.png")).isNotEmptyFile();
			String report = Files.readString(dir.resolve("accuracy.md"));
			long shortOnes = Evaluation.testSet(seed, 5).stream().filter(s -> s.kind().shortAnswer()).count();
			assertThat(shortOnes).as("a slice with a description in it, so that skipping shows").isLessThan(5);
			assertThat(report).contains("Test set: seed " + seed + ", " + shortOnes + " questions (")
				.contains("the short ones of the first 5")
				.doesNotContain("## Descriptions");
			assertThat(Files.readAllLines(dir.resolve("accuracy.csv"))).hasSize(1 + 1 + 7 * 2)
				.allSatisfy(row -> assertThat(row).doesNotContain(",describe"));
		}
		String table = Files.readString(out.resolve("seeds.md"));
		// seed | short questions | full | VL-Cache 10% (gap) | VL-Cache 5% (gap) |
		String accuracyAndGap = " [\\d.]+ \\([-\\d.]+\\) \\|";
		assertThat(table).containsPattern("\\| 3 \\| \\d \\| [\\d.]+ \\|" + accuracyAndGap + accuracyAndGap)
			.contains("| 99 |")
			.contains("Of 2 seeds:")
			.contains("--seeds 3,99");
	}

}
