package dev.vlcache.core.text;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;


/** Feeds one prefill's attention rows to several policies at once, each from its own first row. */
public final class CompositeObserver implements AttentionObserver {

	private final List<? extends AttentionObserver> observers;

	private final int promptLength;

	public CompositeObserver(List<? extends AttentionObserver> observers, int promptLength) {
		this.observers = observers;
		this.promptLength = promptLength;
	}

	@Override
	public int firstObservedRow(int promptLength) {
		int first = promptLength;
		for (AttentionObserver o : this.observers) {
			first = Math.min(first, o.firstObservedRow(promptLength));
		}
		return first;
	}

	@Override
	public void onProbabilities(int layer, int firstRow, NDArray probabilities) {
		int rows = (int) probabilities.getShape().get(1);
		for (AttentionObserver o : this.observers) {
			int own = o.firstObservedRow(this.promptLength);
			if (own >= firstRow + rows) {
				continue;
			}
			int skip = Math.max(0, own - firstRow);
			NDArray mine = skip == 0 ? probabilities : probabilities.get(new NDIndex(":, {}:, :", skip));
			o.onProbabilities(layer, firstRow + skip, mine);
		}
	}

}
