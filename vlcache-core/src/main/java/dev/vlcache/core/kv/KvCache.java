package dev.vlcache.core.kv;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * The per-layer KV cache of one request. Its tensors belong to the request's {@link NDManager}; closing the cache
 * (or the manager) frees them.
 */
public final class KvCache implements AutoCloseable {

	private final List<LayerKvCache> layers;

	private KvCache(List<LayerKvCache> layers) {
		this.layers = layers;
	}

	public KvCache(NDManager manager, int numLayers, long kvHeads, long headDim, DataType dtype, int initialCapacity) {
		this.layers = new ArrayList<>(numLayers);
		for (int i = 0; i < numLayers; i++) {
			this.layers.add(new LayerKvCache(manager, kvHeads, headDim, dtype, initialCapacity));
		}
	}

	public LayerKvCache layer(int index) {
		return this.layers.get(index);
	}

	public int numLayers() {
		return this.layers.size();
	}

	/** Bytes of all held entries, keys and values, over all layers. */
	public long bytes() {
		long total = 0;
		for (LayerKvCache layer : this.layers) {
			total += layer.bytes();
		}
		return total;
	}

	/** Entries held per layer. */
	public int[] lengths() {
		return this.layers.stream().mapToInt(LayerKvCache::length).toArray();
	}

	/** Forgets entries appended after {@code lengths} (from {@link #lengths()}), layer by layer. */
	public void truncate(int[] lengths) {
		for (int i = 0; i < this.layers.size(); i++) {
			this.layers.get(i).truncate(lengths[i]);
		}
	}

	/**
	 * An independent copy owned by {@code manager}, with room for {@code reserve} more entries per layer: lets
	 * several policies compress the same prefilled cache (benchmarks, evaluations).
	 */
	public KvCache copy(NDManager manager, int reserve) {
		List<LayerKvCache> copies = new ArrayList<>(this.layers.size());
		for (LayerKvCache layer : this.layers) {
			copies.add(layer.copy(manager, reserve));
		}
		return new KvCache(copies);
	}

	@Override
	public void close() {
		this.layers.forEach(LayerKvCache::close);
	}

}
