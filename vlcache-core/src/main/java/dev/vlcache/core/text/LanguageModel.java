package dev.vlcache.core.text;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.checkpoint.CheckpointException;
import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.config.TextConfig;
import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.kv.LayerKvCache;
import dev.vlcache.core.nn.DenseLayer;
import dev.vlcache.core.nn.Ops;
import dev.vlcache.core.runtime.LibtorchKernels;

/**
 * The causal language model of a checkpoint (Llama, Mistral or Qwen2 decoder): token embeddings, decoder layers,
 * final norm and LM head.
 *
 * <p>
 * A prompt is prefilled in chunks of tokens: each chunk runs through every layer before the next starts, and
 * each layer computes attention in blocks of query rows, so that the scores held at once stay small (32 MiB)
 * instead of [heads, n, n], and long prompts fit in memory. A scheduler may also prefill a prompt piece by piece
 * ({@link #prefill}). Decoding runs one token of each of several sequences per pass ({@link #decode}), each over
 * its own cache.
 */
public final class LanguageModel {

	/** Budget for one chunk's mask, in elements (8M floats = 32 MiB). */
	private static final long MASK_ELEMENTS_PER_CHUNK = 8L * 1024 * 1024;

	/** Most tokens per prefill chunk: larger chunks no longer make the matrix products faster. */
	private static final int MAX_CHUNK_TOKENS = 2048;

	private final TextConfig config;

	/** The token embeddings [vocab, hidden], looked up by {@link DenseLayer#rows}; the LM head itself when tied. */
	private final DenseLayer embedTokens;

	private final NDArray finalNorm;

	private final DenseLayer lmHead;

	private final List<DecoderLayer> layers = new ArrayList<>();

	private final RotaryEmbedding rope;

	private final DataType dtype;

	private final int chunkTokens;

	/**
	 * @param chunkTokens tokens per prefill chunk, or 0 to size chunks automatically
	 * @param kernels libtorch kernels for a decoding step's attention, or {@code null} to call DJL's operations one
	 * by one
	 */
	public LanguageModel(WeightLoader w, TextConfig c, boolean tieFallback, DataType dtype, int chunkTokens,
			@Nullable LibtorchKernels kernels) {
		this.config = c;
		this.dtype = dtype;
		this.chunkTokens = chunkTokens;
		long v = c.vocabSize();
		long d = c.hiddenSize();
		boolean tied = !w.index().contains("lm_head.weight");
		if (tied && !c.tieWordEmbeddings() && !tieFallback) {
			throw new CheckpointException("Missing tensor 'lm_head.weight' or 'language_model.lm_head.weight' in "
					+ w.index().folder() + " and tie_word_embeddings is false");
		}
		// Tied: one transposed table serves as LM head and (by columns) as embeddings, stored once.
		this.embedTokens = tied ? DenseLayer.loadHead(w, "text.embed_tokens.weight", v, d, true)
				: DenseLayer.loadTable(w, "text.embed_tokens.weight", v, d);
		for (int i = 0; i < c.numLayers(); i++) {
			this.layers.add(new DecoderLayer(w, c, i, kernels));
		}
		this.finalNorm = w.load("text.norm.weight", d);
		this.lmHead = tied ? this.embedTokens : DenseLayer.loadHead(w, "lm_head.weight", v, d, false);
		this.rope = new RotaryEmbedding(c);
	}

	public TextConfig config() {
		return this.config;
	}

	public DataType dtype() {
		return this.dtype;
	}

	/** Token embeddings [T, hidden], owned by {@code scope}. Ids outside the vocabulary are an error. */
	public NDArray embed(NDManager scope, long[] ids) {
		for (long id : ids) {
			if (id < 0 || id >= this.config.vocabSize()) {
				throw new IllegalArgumentException(
						"token id " + id + " is outside the vocabulary [0, " + this.config.vocabSize() + ")");
			}
		}
		NDArray index = scope.create(ids);
		NDArray rows = this.embedTokens.rows(scope, index);
		// A half-precision table (weights: float16) gives rows to widen to the compute dtype.
		return rows.getDataType() == this.dtype ? rows : rows.toType(this.dtype, false);
	}

	/**
	 * Runs {@code embeddings} [T, hidden] for positions {@code position ..} through the model, appending to
	 * {@code cache}. Returns float32 logits [rows, vocab] owned by {@code scope}: every row when
	 * {@code allRows}, else only the last.
	 */
	public NDArray forward(NDManager scope, NDArray embeddings, KvCache cache, int position, AttentionObserver observer,
			boolean allRows) {
		return forward(scope, embeddings, cache, position, observer, allRows, RotaryPositions.SEQUENTIAL);
	}

	/**
	 * As {@link #forward(NDManager, NDArray, KvCache, int, AttentionObserver, boolean)}, with sequence index
	 * {@code position ..} rotated by {@code rotary} (the request's positions, see {@link RotaryPositions}).
	 */
	public NDArray forward(NDManager scope, NDArray embeddings, KvCache cache, int position, AttentionObserver observer,
			boolean allRows, RotaryPositions rotary) {
		int promptLength = cache.layer(0).length() + (int) embeddings.getShape().get(0);
		NDArray logits = run(scope, embeddings, cache, position, promptLength, observer,
				allRows ? Rows.ALL : Rows.LAST, rotary);
		if (logits == null) {
			throw new IllegalStateException("no logits for a forward pass that asked for them");
		}
		return logits;
	}

	/**
	 * One piece of a prompt's prefill: {@code embeddings} [T, hidden] are the prompt's rows from sequence index
	 * {@code position}, appended to {@code cache}; the prompt has {@code promptLength} tokens in all, which the
	 * observer needs to find its rows. A prompt prefilled piece by piece gives the cache and logits of one pass.
	 * @return float32 logits [1, vocab] of the piece's last row when {@code lastRowLogits}, else {@code null}
	 */
	public @Nullable NDArray prefill(NDManager scope, NDArray embeddings, KvCache cache, int position,
			int promptLength, AttentionObserver observer, RotaryPositions rotary, boolean lastRowLogits) {
		return run(scope, embeddings, cache, position, promptLength, observer, lastRowLogits ? Rows.LAST : Rows.NONE,
				rotary);
	}

	/**
	 * One decoding step of several sequences at once: sequence {@code b} feeds token {@code ids[b]} at sequence
	 * index {@code indices[b]}, rotated by {@code rotary.get(b)}, and appends to {@code caches.get(b)}. The weights
	 * are read once for the whole batch ({@link DecoderLayer#decode}). Returns float32 logits [sequences, vocab]
	 * owned by {@code scope}.
	 */
	public NDArray decode(NDManager scope, long[] ids, List<KvCache> caches, int[] indices,
			List<RotaryPositions> rotary) {
		if (ids.length == 0 || ids.length != caches.size() || ids.length != indices.length
				|| ids.length != rotary.size()) {
			throw new IllegalArgumentException("a decoding step needs one token, cache, index and position scheme per "
					+ "sequence; got " + ids.length + ", " + caches.size() + ", " + indices.length + ", " + rotary.size());
		}
		NDArray x = embed(scope, ids);
		NDArray[] cosSin = this.rope.cosSin(scope, rotary, indices, this.dtype);
		List<LayerKvCache> layerCaches = new ArrayList<>(caches.size());
		List<@Nullable NDArray> masks = new ArrayList<>(caches.size());
		for (int l = 0; l < this.layers.size(); l++) {
			try (NDManager layerScope = scope.newSubManager()) {
				layerCaches.clear();
				masks.clear();
				for (int b = 0; b < caches.size(); b++) {
					LayerKvCache layerCache = caches.get(b).layer(l);
					layerCaches.add(layerCache);
					masks.add(mask(layerScope, layerCache, 1, indices[b]));
				}
				x.attach(layerScope);
				x = this.layers.get(l).decode(layerScope, x, layerCaches, indices, cosSin[0], cosSin[1], masks);
				x.attach(scope);
			}
		}
		return logits(x);
	}

	/** Which rows of a forward pass get logits. */
	private enum Rows {

		ALL, LAST, NONE

	}

	private @Nullable NDArray run(NDManager scope, NDArray embeddings, KvCache cache, int position, int promptLength,
			AttentionObserver observer, Rows wanted, RotaryPositions rotary) {
		int t = (int) embeddings.getShape().get(0);
		int cacheStart = cache.layer(0).length();
		int chunk = chunkSize(t, cacheStart + t);
		List<NDArray> logits = new ArrayList<>();
		for (int start = 0; start < t; start += chunk) {
			int end = Math.min(t, start + chunk);
			try (NDManager chunkScope = scope.newSubManager()) {
				NDArray x = embeddings.get(chunkScope, new NDIndex("{}:{}", start, end));
				NDArray[] cosSin = this.rope.cosSin(chunkScope, rotary, position + start, end - start, this.dtype);
				// The mask depends only on how many entries a layer holds, unless a sliding window meets evicted
				// entries: layers of equal length (all of them during prefill) share one.
				NDArray sharedMask = null;
				int sharedLength = -1;
				for (int l = 0; l < this.layers.size(); l++) {
					LayerKvCache layerCache = cache.layer(l);
					NDArray mask;
					boolean positionsMatter = this.config.slidingWindow() != null && layerCache.isCompacted();
					if (!positionsMatter && layerCache.length() == sharedLength) {
						mask = sharedMask;
					}
					else {
						mask = mask(chunkScope, layerCache, end - start, position + start);
						if (!positionsMatter) {
							sharedMask = mask;
							sharedLength = layerCache.length();
						}
					}
					// Each layer's intermediates (scores alone are [heads, chunk, keys]) are freed before the next.
					try (NDManager layerScope = chunkScope.newSubManager()) {
						x.attach(layerScope);
						x = this.layers.get(l).forward(layerScope, x, layerCache, position + start, cosSin[0], cosSin[1],
								mask, observer, promptLength);
						x.attach(chunkScope);
					}
				}
				NDArray rows = wanted == Rows.ALL ? x
						: wanted == Rows.LAST && end == t ? x.get(new NDIndex("-1:")) : null;
				if (rows != null) {
					NDArray out = logits(rows);
					out.attach(scope);
					logits.add(out);
				}
			}
		}
		if (logits.isEmpty()) {
			return null;
		}
		if (logits.size() == 1) {
			return logits.get(0);
		}
		return ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(logits), 0);
	}

	/** Final norm and LM head in float32, [rows, vocab]. */
	private NDArray logits(NDArray hidden) {
		NDArray normed = Ops.rmsNorm(hidden, this.finalNorm, this.config.rmsNormEps());
		NDArray out = this.lmHead.apply(normed);
		return out.getDataType() == DataType.FLOAT32 ? out : out.toType(DataType.FLOAT32, false);
	}

	/**
	 * The additive mask for {@code t} new queries at positions {@code firstPosition ..} over the layer's cache
	 * after appending them, or {@code null} when every entry is visible (a single decoding query with global
	 * attention).
	 */
	private @Nullable NDArray mask(NDManager scope, LayerKvCache cache, int t, int firstPosition) {
		Integer window = this.config.slidingWindow();
		if (t == 1 && window == null) {
			return null;
		}
		int existing = cache.length();
		int keys = existing + t;
		int[] positions = cache.positions();
		boolean windowActive = window != null && firstPosition + t - 1 - (positions.length > 0 ? positions[0] : firstPosition) >= window;
		if (t == 1 && !windowActive) {
			return null;
		}
		float[] m = new float[t * keys];
		for (int i = 0; i < t; i++) {
			int queryPosition = firstPosition + i;
			for (int j = 0; j < keys; j++) {
				int keyPosition = j < existing ? positions[j] : firstPosition + (j - existing);
				boolean visible = keyPosition <= queryPosition
						&& (window == null || queryPosition - keyPosition < window);
				m[i * keys + j] = visible ? 0f : Float.NEGATIVE_INFINITY;
			}
		}
		NDArray mask = scope.create(m, new Shape(t, keys));
		return this.dtype == DataType.FLOAT32 ? mask : mask.toType(this.dtype, false);
	}

	/**
	 * Tokens per prefill chunk: large enough that the weights are read rarely, small enough that the chunk's mask
	 * and activations stay small (attention itself is blocked inside each layer).
	 */
	private int chunkSize(int t, int keys) {
		if (this.chunkTokens > 0) {
			return Math.min(t, this.chunkTokens);
		}
		long rows = MASK_ELEMENTS_PER_CHUNK / Math.max(1, keys);
		return (int) Math.min(t, Math.max(64, Math.min(MAX_CHUNK_TOKENS, rows)));
	}

	public int numLayers() {
		return this.layers.size();
	}

}
