package dev.vlcache.core.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

import org.jspecify.annotations.Nullable;

/**
 * A linear layer's weight [out, in] and bias. A single-row input (a decoding step) is multiplied by row blocks of
 * the weight on several threads at once: libtorch runs a batch-1 matrix-vector product on one thread, which on
 * this class of machine reads weights at about half the memory bandwidth two threads reach. The blocks are
 * views made once, at load time.
 */
public final class LinearWeight {

	/** Weights smaller than this are multiplied on the calling thread: splitting would cost more than it saves. */
	private static final long PARALLEL_MIN_ELEMENTS = 1L << 20;

	private static final int THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

	private static final ExecutorService POOL = Executors.newFixedThreadPool(THREADS, r -> {
		Thread t = new Thread(r, "vlcache-gemv");
		t.setDaemon(true);
		return t;
	});

	private final NDArray weight;

	private final @Nullable NDArray bias;

	private final List<NDArray> weightBlocks = new ArrayList<>();

	private final List<@Nullable NDArray> biasBlocks = new ArrayList<>();

	public LinearWeight(NDArray weight, @Nullable NDArray bias) {
		this.weight = weight;
		this.bias = bias;
		long rows = weight.getShape().get(0);
		if (THREADS > 1 && weight.size() >= PARALLEL_MIN_ELEMENTS && rows >= THREADS) {
			for (int i = 0; i < THREADS; i++) {
				long from = rows * i / THREADS;
				long to = rows * (i + 1) / THREADS;
				this.weightBlocks.add(weight.get(new NDIndex("{}:{}", from, to)));
				this.biasBlocks.add(bias == null ? null : bias.get(new NDIndex("{}:{}", from, to)));
			}
		}
	}

	public NDArray weight() {
		return this.weight;
	}

	/** {@code x W^T + b}; the result belongs to {@code x}'s manager. */
	public NDArray apply(NDArray x) {
		if (this.weightBlocks.isEmpty() || x.getShape().dimension() != 2 || x.getShape().get(0) != 1) {
			return Ops.linear(x, this.weight, this.bias);
		}
		List<Future<NDArray>> parts = new ArrayList<>(this.weightBlocks.size());
		for (int i = 1; i < this.weightBlocks.size(); i++) {
			NDArray w = this.weightBlocks.get(i);
			NDArray b = this.biasBlocks.get(i);
			parts.add(POOL.submit(() -> Ops.linear(x, w, b)));
		}
		NDList out = new NDList(this.weightBlocks.size());
		out.add(Ops.linear(x, this.weightBlocks.get(0), this.biasBlocks.get(0)));
		try {
			for (Future<NDArray> part : parts) {
				out.add(part.get());
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted during a matrix product", ex);
		}
		catch (ExecutionException ex) {
			throw new IllegalStateException("matrix product failed: " + ex.getCause(), ex.getCause());
		}
		return NDArrays.concat(out, 1);
	}

}
