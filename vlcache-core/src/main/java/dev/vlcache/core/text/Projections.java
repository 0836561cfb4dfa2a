package dev.vlcache.core.text;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.nn.DenseLayer;
import dev.vlcache.core.runtime.LibtorchKernels;

/**
 * Projections of one input that a block needs together (q, k and v; gate and up). With int8 weights they are one
 * fused product, split afterwards: a decoding step's products are then 4 native calls a layer instead of 7, and the
 * small k and v matrices are read as part of a large one. float32 and float16 keep a product each: fusing gate
 * and up in float32 was 1.3x faster for one row but slower for the 8-16 rows of a batched step (4.9 against 4.5
 * ms, 6.5 against 4.4 ms, {@code LayoutBenchmark}), and the engine's layouts differ per matrix size.
 */
final class Projections {

	private final DenseLayer[] separate;

	private final @Nullable DenseLayer fused;

	/** Where the fused output splits: the cumulative output sizes of all parts but the last. */
	private final long[] splits;

	private Projections(DenseLayer[] separate, @Nullable DenseLayer fused, long[] splits) {
		this.separate = separate;
		this.fused = fused;
		this.splits = splits;
	}

	/**
	 * Loads {@code names[i]} [outs[i], in] (each with its bias when {@code withBias}): fused into one int8 layer
	 * when the loader quantizes ({@link DenseLayer#loadFusedInt8}), else a layer each.
	 */
	static Projections load(WeightLoader w, long in, boolean withBias, List<String> names, long... outs) {
		if (w.int8Kernels() != null) {
			long[] splits = new long[outs.length - 1];
			long end = 0;
			for (int i = 0; i < splits.length; i++) {
				end += outs[i];
				splits[i] = end;
			}
			return new Projections(new DenseLayer[0], DenseLayer.loadFusedInt8(w, names, outs, in, withBias), splits);
		}
		DenseLayer[] separate = new DenseLayer[names.size()];
		for (int i = 0; i < separate.length; i++) {
			separate[i] = DenseLayer.load(w, names.get(i), outs[i], in, withBias);
		}
		return new Projections(separate, null, new long[0]);
	}

	/**
	 * The parts as {@link LibtorchKernels#decoderBlock} takes them: each part's projection, or when fused the fused
	 * layer's in the first place and {@code null} in the others.
	 */
	List<LibtorchKernels.@Nullable Projection> kernelProjections() {
		List<LibtorchKernels.@Nullable Projection> out = new ArrayList<>();
		DenseLayer fused = this.fused;
		if (fused != null) {
			out.add(fused.projection());
			for (int i = 0; i < this.splits.length; i++) {
				out.add(null);
			}
		}
		else {
			for (DenseLayer layer : this.separate) {
				out.add(layer.projection());
			}
		}
		return out;
	}

	/** Each projection of {@code x} [..., in], in the order the parts were given. */
	NDList apply(NDArray x) {
		DenseLayer fused = this.fused;
		if (fused != null) {
			NDArray y = fused.apply(x);
			// DJL's split takes no negative axis.
			return y.split(this.splits, y.getShape().dimension() - 1);
		}
		NDList out = new NDList(this.separate.length);
		for (DenseLayer layer : this.separate) {
			out.add(layer.apply(x));
		}
		return out;
	}

}
