package dev.vlcache.testsupport;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CommandLineArgumentsTest {

	private static final CommandLineArguments.Spec TOOL = CommandLineArguments.command("Tool", "Does a thing.")
		.option("runs", "N", "timed runs (default 5)")
		.option("shapes", "a,b", "model shapes")
		.option("short-only", "", "skip descriptions");

	@Test
	void readsValuesFlagsAndDefaults() {
		CommandLineArguments o = TOOL.parse(new String[] { "--runs", "3", "--short-only", "--shapes=demo,qwen2" });
		assertThat(o.getOrDefault("runs", "5")).isEqualTo("3");
		assertThat(o.get("short-only")).isEqualTo("true");
		assertThat(o.get("shapes")).isEqualTo("demo,qwen2");
		assertThat(TOOL.parse(new String[0]).getOrDefault("runs", "5")).isEqualTo("5");
		assertThat(TOOL.parse(new String[0]).containsKey("shapes")).isFalse();
	}

	@Test
	void refusesAMisspeltOptionNamingTheNearestAndShowingTheUsage() {
		assertThatThrownBy(() -> TOOL.parse(new String[] { "--rusn", "3" }))
			.isInstanceOf(CommandLineArguments.UsageException.class)
			.hasMessageContaining("unknown option --rusn (did you mean --runs?)")
			.hasMessageContaining("Usage: Tool [options]")
			.hasMessageContaining("--runs N")
			.hasMessageContaining("timed runs (default 5)");
	}

	@Test
	void refusesAnUnrelatedOptionAStrayWordAndARepeat() {
		assertThatThrownBy(() -> TOOL.parse(new String[] { "--model", "x" })).hasMessageContaining("unknown option --model")
			.hasMessageNotContaining("did you mean");
		assertThatThrownBy(() -> TOOL.parse(new String[] { "quick" })).hasMessageContaining("unexpected argument 'quick'");
		assertThatThrownBy(() -> TOOL.parse(new String[] { "--runs", "1", "--runs", "2" }))
			.hasMessageContaining("--runs given twice");
	}

	@Test
	void aToolReadingAnUndeclaredOptionIsABug() {
		assertThatThrownBy(() -> TOOL.parse(new String[0]).get("seed")).isInstanceOf(IllegalStateException.class)
			.hasMessageContaining("undeclared option --seed");
	}

}
