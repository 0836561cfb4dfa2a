package dev.vlcache.core.compression;

import java.util.function.Function;

import ai.djl.ndarray.NDArray;

/** A run that collects {@link AttentionStatistics} from the rows it observes and plans from them. */
final class StatisticsRun implements CompressionRun {

	private final AttentionStatistics statistics;

	private final Function<AttentionStatistics, KeepPlan> planner;

	StatisticsRun(AttentionStatistics statistics, Function<AttentionStatistics, KeepPlan> planner) {
		this.statistics = statistics;
		this.planner = planner;
	}

	@Override
	public int firstObservedRow(int promptLength) {
		return this.statistics.firstRow();
	}

	@Override
	public void onProbabilities(int layer, int firstRow, NDArray probabilities) {
		this.statistics.accept(layer, firstRow, probabilities);
	}

	@Override
	public KeepPlan plan() {
		return this.planner.apply(this.statistics);
	}

}
