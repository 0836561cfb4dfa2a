package dev.vlcache.core.compression;

import org.junit.jupiter.api.Test;

import dev.vlcache.core.tokenizer.PromptLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScoringWindowTest {

	private static PromptLayout layout(String pattern) {
		boolean[] mask = new boolean[pattern.length()];
		for (int i = 0; i < mask.length; i++) {
			mask[i] = pattern.charAt(i) == 'I';
		}
		return new PromptLayout(mask);
	}

	@Test
	void autoIsThePostVisionSegment() {
		assertThat(ScoringWindow.AUTO.resolve(layout("ttIIIIttttt"))).isEqualTo(5);
	}

	@Test
	void autoWithSeveralImagesStartsAfterTheLastOne() {
		assertThat(ScoringWindow.AUTO.resolve(layout("tIIItttIIItt"))).isEqualTo(2);
	}

	@Test
	void autoWithoutImageUsesTheLast32ClippedToThePrompt() {
		assertThat(ScoringWindow.AUTO.resolve(layout("t".repeat(100)))).isEqualTo(32);
		assertThat(ScoringWindow.AUTO.resolve(layout("t".repeat(10)))).isEqualTo(10);
	}

	@Test
	void imageAtTheEndStillScoresWithOneRow() {
		assertThat(ScoringWindow.AUTO.resolve(layout("ttIII"))).isEqualTo(1);
	}

	@Test
	void fixedWindowIsClippedToThePrompt() {
		assertThat(ScoringWindow.of(64).resolve(layout("tIIt"))).isEqualTo(4);
		assertThat(ScoringWindow.parse("3").resolve(layout("tIIttt"))).isEqualTo(3);
	}

	@Test
	void invalidWindowsNameTheParameter() {
		assertThatThrownBy(() -> ScoringWindow.parse("0")).hasMessageContaining("scoring-window")
			.hasMessageContaining(">= 1");
		assertThatThrownBy(() -> ScoringWindow.parse("wide")).hasMessageContaining("scoring-window 'wide'");
	}

}
