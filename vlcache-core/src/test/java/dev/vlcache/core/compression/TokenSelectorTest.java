package dev.vlcache.core.compression;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TokenSelectorTest {

	private static final double[] SCORES = { 9, 1, 8, 2, 7, 3, 0.5, 6, 4, 5 };

	@Test
	void vlCacheKeepsTheWindowThenTheBestScoresInOrder() {
		assertThat(TokenSelector.windowAndTopScores(SCORES, 10, 5, 2)).containsExactly(0, 2, 4, 8, 9);
	}

	@Test
	void budgetBelowTheWindowKeepsOnlyTheMostRecent() {
		assertThat(TokenSelector.windowAndTopScores(SCORES, 10, 2, 4)).containsExactly(8, 9);
	}

	@Test
	void windowAsLongAsThePromptKeepsTheLastBudgetPositions() {
		assertThat(TokenSelector.windowAndTopScores(SCORES, 10, 4, 10)).containsExactly(6, 7, 8, 9);
	}

	@Test
	void fullBudgetKeepsEverything() {
		assertThat(TokenSelector.windowAndTopScores(SCORES, 10, 10, 3)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
	}

	@Test
	void tiesGoToTheEarlierPosition() {
		assertThat(TokenSelector.windowAndTopScores(new double[] { 1, 1, 1, 1, 1 }, 5, 3, 1)).containsExactly(0, 1, 4);
	}

	@Test
	void streamingLlmKeepsSinksAndRecent() {
		assertThat(TokenSelector.sinksAndRecent(10, 6, 4)).containsExactly(0, 1, 2, 3, 8, 9);
		assertThat(TokenSelector.sinksAndRecent(10, 3, 4)).containsExactly(0, 1, 2);
	}

	@Test
	void h2oSplitsRecentAndHeavyHitters() {
		// budget 5: 3 recent (7, 8, 9) and 2 heavy hitters among 0..6 (0 and 2)
		assertThat(TokenSelector.recentAndHeavyHitters(SCORES, 10, 5)).containsExactly(0, 2, 7, 8, 9);
	}

	@Test
	void snapKvPoolSmoothsNeighbours() {
		double[] pooled = TokenSelector.maxPool(new double[] { 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0 }, 7);
		assertThat(pooled).containsExactly(0, 10, 10, 10, 10, 10, 10, 10, 0, 0, 0, 0);
	}

}
