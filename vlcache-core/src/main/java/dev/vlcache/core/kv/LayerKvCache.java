package dev.vlcache.core.kv;

import java.util.Arrays;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One decoder layer's keys and values, [kv heads, capacity, head dim], with room allocated ahead so that
 * appending a token writes in place instead of copying the cache. Each entry remembers the prompt or generation
 * position it was computed at: compression keeps entries, never renumbers them.
 */
public final class LayerKvCache implements AutoCloseable {

	private final NDManager manager;

	private final long kvHeads;

	private final long headDim;

	private final DataType dtype;

	private NDArray keys;

	private NDArray values;

	private int length;

	private int[] positions;

	private boolean compacted;

	LayerKvCache(NDManager manager, long kvHeads, long headDim, DataType dtype, int initialCapacity) {
		this.manager = manager;
		this.kvHeads = kvHeads;
		this.headDim = headDim;
		this.dtype = dtype;
		int capacity = Math.max(1, initialCapacity);
		this.keys = manager.create(new Shape(kvHeads, capacity, headDim), dtype);
		this.values = manager.create(new Shape(kvHeads, capacity, headDim), dtype);
		this.positions = new int[capacity];
	}

	/** A copy of the held entries owned by {@code target}, with room for {@code reserve} more. */
	LayerKvCache copy(NDManager target, int reserve) {
		LayerKvCache copy = new LayerKvCache(target, this.kvHeads, this.headDim, this.dtype, this.length + reserve);
		if (this.length > 0) {
			try (NDManager scratch = target.newSubManager()) {
				NDIndex held = new NDIndex(":, :{}", this.length);
				copy.keys.set(held, this.keys.get(scratch, held));
				copy.values.set(held, this.values.get(scratch, held));
			}
		}
		System.arraycopy(this.positions, 0, copy.positions, 0, this.length);
		copy.length = this.length;
		copy.compacted = this.compacted;
		return copy;
	}

	/** Whether entries were evicted, so that cache index and position may differ. */
	public boolean isCompacted() {
		return this.compacted;
	}

	/** Entries held. */
	public int length() {
		return this.length;
	}

	/** Entries that fit before the next reallocation. */
	public int capacity() {
		return this.positions.length;
	}

	/** Original positions of the held entries, in cache order. */
	public int[] positions() {
		return Arrays.copyOf(this.positions, this.length);
	}

	/** Bytes of the held entries (keys and values). */
	public long bytes() {
		return 2L * this.kvHeads * this.length * this.headDim * this.dtype.getNumOfBytes();
	}

	/**
	 * Appends {@code t} entries. {@code k} and {@code v} are [kv heads, t, head dim]; their data is copied into
	 * the cache's storage.
	 */
	public void append(NDArray k, NDArray v, int firstPosition) {
		int t = (int) k.getShape().get(1);
		ensureCapacity(this.length + t);
		NDIndex slot = new NDIndex(":, {}:{}", this.length, this.length + t);
		this.keys.set(slot, k);
		this.values.set(slot, v);
		for (int i = 0; i < t; i++) {
			this.positions[this.length + i] = firstPosition + i;
		}
		this.length += t;
	}

	/**
	 * Takes the next entry for a token at {@code position} whose key and value the caller writes into
	 * {@link #keyStorage()} and {@link #valueStorage()} at the returned cache index (one native call then writes a
	 * batch's entries). Until written the entry's content is undefined; a failed step is undone by {@link #truncate}.
	 */
	public int claim(int position) {
		ensureCapacity(this.length + 1);
		this.positions[this.length] = position;
		return this.length++;
	}

	/**
	 * The whole key storage, [kv heads, capacity, head dim]: entries {@code 0 .. length-1} are held, the rest is
	 * room. It is replaced when the cache grows or is compacted, so it is valid until the next append, claim or
	 * retain.
	 */
	public NDArray keyStorage() {
		return this.keys;
	}

	/** The whole value storage; see {@link #keyStorage()}. */
	public NDArray valueStorage() {
		return this.values;
	}

	/**
	 * Forgets the entries from cache index {@code length} on, without freeing storage: undoes the appends of a
	 * step that failed part-way, so that the step can be run again.
	 */
	public void truncate(int length) {
		if (length < 0 || length > this.length) {
			throw new IllegalArgumentException("cannot truncate " + this.length + " entries to " + length);
		}
		this.length = length;
	}

	/** A view of the held keys, [kv heads, length, head dim], owned by {@code scope}. */
	public NDArray keys(NDManager scope) {
		return this.keys.get(scope, new NDIndex(":, :{}", this.length));
	}

	/** A view of the held values, [kv heads, length, head dim], owned by {@code scope}. */
	public NDArray values(NDManager scope) {
		return this.values.get(scope, new NDIndex(":, :{}", this.length));
	}

	/**
	 * Keeps only the entries at cache indices {@code keep} (ascending), freeing the rest: the storage is replaced
	 * by a smaller tensor with room for {@code reserve} further entries.
	 */
	public void retain(int[] keep, int reserve) {
		for (int i = 0; i < keep.length; i++) {
			if (keep[i] < 0 || keep[i] >= this.length || (i > 0 && keep[i] <= keep[i - 1])) {
				throw new IllegalArgumentException("retained indices must be ascending and within [0, " + this.length + ")");
			}
		}
		int capacity = Math.max(1, keep.length + Math.max(0, reserve));
		NDArray newKeys = this.manager.create(new Shape(this.kvHeads, capacity, this.headDim), this.dtype);
		NDArray newValues = this.manager.create(new Shape(this.kvHeads, capacity, this.headDim), this.dtype);
		if (keep.length > 0) {
			try (NDManager scratch = this.manager.newSubManager()) {
				long[] idx = Arrays.stream(keep).asLongStream().toArray();
				NDArray index = scratch.create(idx);
				NDIndex target = new NDIndex(":, :{}", keep.length);
				newKeys.set(target, this.keys.get(scratch, new NDIndex(":, {}", index)));
				newValues.set(target, this.values.get(scratch, new NDIndex(":, {}", index)));
			}
		}
		int[] newPositions = new int[capacity];
		for (int i = 0; i < keep.length; i++) {
			newPositions[i] = this.positions[keep[i]];
		}
		this.keys.close();
		this.values.close();
		this.keys = newKeys;
		this.values = newValues;
		this.positions = newPositions;
		this.compacted |= keep.length < this.length;
		this.length = keep.length;
	}

	private void ensureCapacity(int needed) {
		if (needed <= this.positions.length) {
			return;
		}
		// Grow geometrically so that a long generation reallocates O(log n) times, not per token.
		int capacity = Math.max(needed, this.positions.length + this.positions.length / 2 + 16);
		NDArray newKeys = this.manager.create(new Shape(this.kvHeads, capacity, this.headDim), this.dtype);
		NDArray newValues = this.manager.create(new Shape(this.kvHeads, capacity, this.headDim), this.dtype);
		if (this.length > 0) {
			try (NDManager scratch = this.manager.newSubManager()) {
				NDIndex held = new NDIndex(":, :{}", this.length);
				newKeys.set(held, this.keys.get(scratch, held));
				newValues.set(held, this.values.get(scratch, held));
			}
		}
		this.keys.close();
		this.values.close();
		this.keys = newKeys;
		this.values = newValues;
		this.positions = Arrays.copyOf(this.positions, capacity);
	}

	@Override
	public void close() {
		this.keys.close();
		this.values.close();
	}

}
