package dev.vlcache.core.generation;

import java.util.List;

/**
 * Watches the generated text for stop strings. Text that could still turn into a stop string is held back, so
 * that a streamed answer never shows part of one.
 */
final class StopSequenceMatcher {

	private final List<String> stops;

	private final StringBuilder text = new StringBuilder();

	private int released;

	private boolean stopped;

	StopSequenceMatcher(List<String> stops) {
		this.stops = stops;
	}

	/** Adds generated text; returns the part that is safe to release now. */
	String add(String piece) {
		this.text.append(piece);
		int earliest = -1;
		for (String s : this.stops) {
			int idx = this.text.indexOf(s, Math.max(0, this.released - s.length() + 1));
			if (idx >= 0 && (earliest < 0 || idx < earliest)) {
				earliest = idx;
			}
		}
		if (earliest >= 0) {
			this.stopped = true;
			this.text.setLength(earliest);
			return release(earliest);
		}
		return release(this.text.length() - heldBack());
	}

	/** Releases everything not yet released (at the end of generation). */
	String flush() {
		return release(this.text.length());
	}

	boolean stopped() {
		return this.stopped;
	}

	String text() {
		return this.text.toString();
	}

	private int heldBack() {
		int hold = 0;
		for (String s : this.stops) {
			for (int k = Math.min(s.length() - 1, this.text.length()); k > hold; k--) {
				if (this.text.substring(this.text.length() - k).equals(s.substring(0, k))) {
					hold = k;
					break;
				}
			}
		}
		return hold;
	}

	private String release(int upTo) {
		int end = Math.max(this.released, upTo);
		String out = this.text.substring(this.released, end);
		this.released = end;
		return out;
	}

}
