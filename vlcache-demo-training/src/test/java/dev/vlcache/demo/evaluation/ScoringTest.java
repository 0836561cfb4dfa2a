package dev.vlcache.demo.evaluation;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ScoringTest {

	@Test
	void exactMatchIgnoresCaseSpacingAndPunctuationOnly() {
		assertThat(Scoring.exactMatch("Top  left.", "top left")).isEqualTo(1);
		assertThat(Scoring.exactMatch("top", "top left")).isEqualTo(0);
		assertThat(Scoring.exactMatch("left top", "top left")).isEqualTo(0);
	}

	@Test
	void tokenF1CountsRepeatedWords() {
		// prediction 4 tokens, reference 5, 3 in common ("red", "circle", "k"): P 3/4, R 3/5.
		assertThat(Scoring.tokenF1("red circle k left", "red circle k top right")).isCloseTo(2 * 0.75 * 0.6 / 1.35,
				within(1e-12));
		assertThat(Scoring.tokenF1("red red red", "red blue")).isCloseTo(2 * (1 / 3.0) * 0.5 / (1 / 3.0 + 0.5),
				within(1e-12));
		assertThat(Scoring.tokenF1("", "red")).isEqualTo(0);
		assertThat(Scoring.tokenF1("a, b", "a b")).isEqualTo(1);
	}

}
