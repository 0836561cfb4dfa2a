package dev.vlcache.core.family.qwen2vl;

import java.util.List;

import dev.vlcache.core.family.PositionScheme;
import dev.vlcache.core.family.PreparedImage;
import dev.vlcache.core.text.RotaryPositions;
import dev.vlcache.core.tokenizer.PromptLayout;

/**
 * Qwen2-VL's three position streams (M-RoPE, {@code get_rope_index}): text advances all three together; an image's
 * tokens take (frame, row, column) of their merged grid, offset by the position the image starts at; the text after
 * an image resumes one past the largest position so far. Decoding step i after a prompt of n tokens is at position
 * {@code n + i + delta} on every stream, {@code delta} being the largest prompt position + 1 - n ({@code rope_deltas}).
 */
final class MultimodalPositions implements PositionScheme {

	private final int mergeSize;

	MultimodalPositions(int mergeSize) {
		this.mergeSize = mergeSize;
	}

	@Override
	public RotaryPositions forPrompt(long[] ids, PromptLayout layout, List<PreparedImage> images) {
		int n = ids.length;
		long[][] table = new long[3][n];
		long next = 0;
		int image = 0;
		int i = 0;
		while (i < n) {
			if (!layout.isImage(i)) {
				for (int s = 0; s < 3; s++) {
					table[s][i] = next;
				}
				next++;
				i++;
				continue;
			}
			PatchedImage p = (PatchedImage) images.get(image++);
			int gh = p.h() / this.mergeSize;
			int gw = p.w() / this.mergeSize;
			long start = next;
			long largest = start;
			for (int t = 0; t < p.t(); t++) {
				for (int y = 0; y < gh; y++) {
					for (int x = 0; x < gw; x++) {
						table[0][i] = start + t;
						table[1][i] = start + y;
						table[2][i] = start + x;
						largest = Math.max(largest, Math.max(start + t, Math.max(start + y, start + x)));
						i++;
					}
				}
			}
			next = largest + 1;
		}
		long delta = next - n;
		return new Table(table, n, delta);
	}

	/** The prompt's positions, then {@code index + delta} on every stream. */
	private record Table(long[][] table, int promptLength, long delta) implements RotaryPositions {

		@Override
		public long position(int stream, int index) {
			return index < this.promptLength ? this.table[stream][index] : index + this.delta;
		}

	}

}
