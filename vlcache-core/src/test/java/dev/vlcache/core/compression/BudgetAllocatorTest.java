package dev.vlcache.core.compression;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BudgetAllocatorTest {

	@Test
	void waterFillingExampleOfVlcacheMd() {
		// n = 100, α = 0.9, γ = (0, 0, 0, 0.99), m = 10 gives (100, 100, 100, 60).
		assertThat(BudgetAllocator.adaptive(0.9, 100, new double[] { 0, 0, 0, 0.99 }, 10)).containsExactly(100, 100, 100, 60);
	}

	@Test
	void adaptiveSharesByDensityAndKeepsTheTotal() {
		double[] gamma = { 0.5, 0.75, 0.9, 0.95 };
		int[] b = BudgetAllocator.adaptive(0.1, 1000, gamma, 10);
		// densities 0.5, 0.25, 0.1, 0.05 of total 400
		assertThat(b).containsExactly(222, 111, 44, 22);
		assertThat(Arrays.stream(b).sum()).isCloseTo(400, org.assertj.core.data.Offset.offset(2));
	}

	@Test
	void adaptiveRaisesStarvedLayersToTheMinimumAndTakesItFromTheOthers() {
		int[] b = BudgetAllocator.adaptive(0.1, 1000, new double[] { 0.0, 0.0, 0.999, 0.999 }, 30);
		assertThat(b[2]).isEqualTo(30);
		assertThat(b[3]).isEqualTo(30);
		assertThat(b[0]).isEqualTo(170);
		assertThat(b[1]).isEqualTo(170);
	}

	@Test
	void ratioOneKeepsEverything() {
		assertThat(BudgetAllocator.adaptive(1.0, 57, new double[] { 0.9, 0.1, 0.5 }, 5)).containsExactly(57, 57, 57);
		assertThat(BudgetAllocator.uniform(1.0, 57, 3, 5)).containsExactly(57, 57, 57);
	}

	@Test
	void uniformRoundsHalfUpAndClips() {
		assertThat(BudgetAllocator.uniform(0.25, 10, 2, 1)).containsExactly(3, 3);
		assertThat(BudgetAllocator.uniform(0.01, 100, 2, 7)).containsExactly(7, 7);
	}

	@Test
	void minimumIsWindowOrOnePercentCappedByN() {
		assertThat(BudgetAllocator.minimum(1000, 5)).isEqualTo(10);
		assertThat(BudgetAllocator.minimum(1000, 40)).isEqualTo(40);
		assertThat(BudgetAllocator.minimum(20, 40)).isEqualTo(20);
	}

	@Test
	void budgetSmallerThanWindowIsRaisedToTheWindow() {
		int[] b = BudgetAllocator.adaptive(0.05, 200, new double[] { 0.5, 0.5 }, BudgetAllocator.minimum(200, 30));
		assertThat(b).containsExactly(30, 30);
	}

	@Test
	void hybridMixesUniformAndAdaptiveBeforeRounding() {
		double[] gamma = { 0.5, 0.75, 0.9, 0.95 };
		int[] b = BudgetAllocator.hybrid(0.1, 1000, gamma, 10, 0.8);
		// 0.8 * 100 + 0.2 * (222.2, 111.1, 44.4, 22.2)
		assertThat(b).containsExactly(124, 102, 89, 84);
		assertThat(BudgetAllocator.hybrid(0.1, 1000, gamma, 10, 1.0)).containsExactly(100, 100, 100, 100);
		assertThat(BudgetAllocator.hybrid(0.1, 1000, gamma, 10, 0.0))
			.containsExactly(BudgetAllocator.adaptive(0.1, 1000, gamma, 10));
	}

	@Test
	void pyramidDecreasesArithmeticallyWithTheUniformTotal() {
		int[] b = BudgetAllocator.pyramid(0.1, 1000, 5, 10);
		assertThat(b).containsExactly(150, 125, 100, 75, 50);
		assertThat(Arrays.stream(b).sum()).isEqualTo(500);
		int[] clipped = BudgetAllocator.pyramid(0.9, 100, 3, 10);
		assertThat(clipped).containsExactly(100, 90, 80);
	}

}
