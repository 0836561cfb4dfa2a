package dev.vlcache.core.compression;

import java.util.function.Supplier;

import ai.djl.ndarray.NDArray;

/** A run for policies that need no attention scores (full, StreamingLLM): it observes nothing. */
final class PlanOnlyRun implements CompressionRun {

	private final Supplier<KeepPlan> planner;

	PlanOnlyRun(Supplier<KeepPlan> planner) {
		this.planner = planner;
	}

	@Override
	public int firstObservedRow(int promptLength) {
		return promptLength;
	}

	@Override
	public void onProbabilities(int layer, int firstRow, NDArray probabilities) {
		// nothing to observe
	}

	@Override
	public KeepPlan plan() {
		return this.planner.get();
	}

}
