package dev.vlcache.core.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.config.TextConfig;
import dev.vlcache.core.kv.LayerKvCache;
import dev.vlcache.core.nn.DenseLayer;
import dev.vlcache.core.nn.Ops;
import dev.vlcache.core.runtime.LibtorchKernels;

/**
 * One Llama / Mistral / Qwen2 decoder block: RMSNorm, grouped-query self-attention with rotary positions over the
 * layer's KV cache, RMSNorm, SwiGLU MLP.
 */
final class DecoderLayer {

	/**
	 * Attention scores computed at once, in elements: 8M floats = 32 MiB, small enough that malloc reuses the
	 * memory instead of mapping (and page-faulting) fresh pages for every block. Tests lower it to exercise blocking.
	 */
	static volatile long scoresPerBlock = 8L * 1024 * 1024;

	/**
	 * Whether unmasked decoding steps run as one {@link LibtorchKernels#decoderStep} call per layer; tests turn it
	 * off to compare with the operations one by one.
	 */
	static volatile boolean wholeLayerSteps = true;

	private final TextConfig config;

	private final int index;

	private final NDArray inputNorm;

	private final NDArray postAttentionNorm;

	/** q, k and v. */
	private final Projections qkv;

	private final DenseLayer o;

	/** gate and up. */
	private final Projections gateUp;

	private final DenseLayer down;

	private final @Nullable LibtorchKernels kernels;

	/** This layer's weights prepared for one-call decoding steps, or {@code null} (no kernels, or not SiLU). */
	private final LibtorchKernels.@Nullable DecoderBlock block;

	DecoderLayer(WeightLoader w, TextConfig c, int index, @Nullable LibtorchKernels kernels) {
		this.config = c;
		this.kernels = kernels;
		this.index = index;
		String p = "text.layers." + index + ".";
		long d = c.hiddenSize();
		long qOut = (long) c.numHeads() * c.headDim();
		long kvOut = (long) c.numKvHeads() * c.headDim();
		long f = c.intermediateSize();
		this.inputNorm = w.load(p + "input_layernorm.weight", d);
		this.postAttentionNorm = w.load(p + "post_attention_layernorm.weight", d);
		this.qkv = Projections.load(w, d, c.attentionBias(),
				List.of(p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj"), qOut, kvOut, kvOut);
		this.o = DenseLayer.load(w, p + "self_attn.o_proj", d, qOut, c.outputBias());
		this.gateUp = Projections.load(w, d, c.mlpBias(), List.of(p + "mlp.gate_proj", p + "mlp.up_proj"), f, f);
		this.down = DenseLayer.load(w, p + "mlp.down_proj", d, f, c.mlpBias());
		this.block = kernels != null && isSilu(c.hiddenAct()) ? kernels.decoderBlock(this.inputNorm,
				this.postAttentionNorm, projections(), c.numHeads(), c.numKvHeads(), c.headDim(), (int) f,
				c.rmsNormEps()) : null;
	}

	private static boolean isSilu(String activation) {
		return activation.equals("silu") || activation.equals("swish");
	}

	/** q, k, v, o, gate, up and down as the kernels' decoder block takes them. */
	private List<LibtorchKernels.@Nullable Projection> projections() {
		List<LibtorchKernels.@Nullable Projection> all = new ArrayList<>(this.qkv.kernelProjections());
		all.add(this.o.projection());
		all.addAll(this.gateUp.kernelProjections());
		all.add(this.down.projection());
		return all;
	}

	/**
	 * Runs the block on {@code x} [T, hidden] for consecutive positions starting at {@code position}, appending
	 * the T new keys and values to {@code cache} first.
	 * @param mask additive mask [T, cache length after append], or {@code null} when every cached entry is visible
	 * @param observer receives prefill attention rows (prompt row index = cache index during prefill)
	 */
	NDArray forward(NDManager scope, NDArray x, LayerKvCache cache, int position, NDArray cos, NDArray sin,
			@Nullable NDArray mask, AttentionObserver observer, int promptLength) {
		long t = x.getShape().get(0);
		int heads = this.config.numHeads();
		int kvHeads = this.config.numKvHeads();
		long hd = this.config.headDim();
		NDArray h = Ops.rmsNorm(x, this.inputNorm, this.config.rmsNormEps());
		NDList qkv = this.qkv.apply(h);
		NDArray q = qkv.get(0).reshape(t, heads, hd).transpose(1, 0, 2);
		NDArray k = qkv.get(1).reshape(t, kvHeads, hd).transpose(1, 0, 2);
		NDArray v = qkv.get(2).reshape(t, kvHeads, hd).transpose(1, 0, 2);
		q = RotaryEmbedding.apply(q, cos, sin);
		k = RotaryEmbedding.apply(k, cos, sin);
		int firstQueryIndex = cache.length();
		cache.append(k, v, position);
		NDArray attn = attention(scope, q.mul(1.0 / Math.sqrt(hd)), cache.keys(scope), cache.values(scope),
				firstQueryIndex, mask, observer, promptLength);
		x = x.add(this.o.apply(attn));
		return x.add(mlp(x));
	}

	/**
	 * One decoding step of several sequences: {@code x} [sequences, hidden] holds one token of each, sequence
	 * {@code b} at sequence index {@code indices[b]} with its own {@code caches.get(b)}. The products that read
	 * weights (q, k, v, o, gate, up, down) run once on the whole batch; attention runs per sequence over that
	 * sequence's cache, whose length is its own. With a single sequence this computes what
	 * {@link #forward} computes for one token. Unmasked steps of a SiLU layer run as one
	 * {@link LibtorchKernels#decoderStep} call, which computes the same operations inside libtorch.
	 * @param cos rotary tables [sequences, 1, head dim]
	 * @param masks per sequence, an additive mask [1, cache length after append], or {@code null}
	 */
	NDArray decode(NDManager scope, NDArray x, List<LayerKvCache> caches, int[] indices, NDArray cos, NDArray sin,
			List<@Nullable NDArray> masks) {
		LibtorchKernels.DecoderBlock block = this.block;
		if (block != null && wholeLayerSteps && masks.stream().allMatch(Objects::isNull)) {
			List<NDArray> keys = new ArrayList<>(caches.size());
			List<NDArray> values = new ArrayList<>(caches.size());
			long[] slots = new long[caches.size()];
			for (int i = 0; i < slots.length; i++) {
				LayerKvCache cache = caches.get(i);
				slots[i] = cache.claim(indices[i]);
				keys.add(cache.keyStorage());
				values.add(cache.valueStorage());
			}
			return Objects.requireNonNull(this.kernels).decoderStep(block, x, cos, sin, keys, values, slots);
		}
		long b = x.getShape().get(0);
		int heads = this.config.numHeads();
		int kvHeads = this.config.numKvHeads();
		long hd = this.config.headDim();
		int group = heads / kvHeads;
		NDArray h = Ops.rmsNorm(x, this.inputNorm, this.config.rmsNormEps());
		NDList qkv = this.qkv.apply(h);
		NDArray q = RotaryEmbedding.apply(qkv.get(0).reshape(b, heads, hd), cos, sin).mul(1.0 / Math.sqrt(hd));
		NDArray k = RotaryEmbedding.apply(qkv.get(1).reshape(b, kvHeads, hd), cos, sin);
		NDArray v = qkv.get(2).reshape(b, kvHeads, hd);
		// The per-sequence loop costs native calls more than arithmetic: one split per tensor instead of a slice per
		// sequence, and the outputs joined once at the end. Keys and values are [kv heads, 1, head dim] slices, the
		// cache's layout; each query is [kv heads, group, head dim], three dimensions like the cache, so that the
		// product reads the cache's strided view in place (a broadcast over a fourth dimension copies it).
		NDList qs = q.reshape(b * kvHeads, group, hd).split(b, 0);
		NDList ks = k.transpose(1, 0, 2).split(b, 1);
		NDList vs = v.transpose(1, 0, 2).split(b, 1);
		NDArray attn = attendStep(scope, qs, ks, vs, caches, indices, masks).reshape(b, (long) heads * hd);
		x = x.add(this.o.apply(attn));
		return x.add(mlp(x));
	}

	/** The SwiGLU MLP of the post-attention norm of {@code x}. */
	private NDArray mlp(NDArray x) {
		NDList gateUp = this.gateUp.apply(Ops.rmsNorm(x, this.postAttentionNorm, this.config.rmsNormEps()));
		NDArray activated = Ops.activation(gateUp.get(0), this.config.hiddenAct());
		return this.down.apply(activated.mul(gateUp.get(1)));
	}

	/**
	 * A decoding step's attention: each sequence's token appended to its cache, then its queries
	 * [kv heads, group, head dim] over that cache. Without masks the whole batch is one kernel call; a sliding
	 * window's masks take DJL's operations per sequence. Returns [sequences x kv heads, group, head dim].
	 */
	private NDArray attendStep(NDManager scope, NDList qs, NDList ks, NDList vs, List<LayerKvCache> caches,
			int[] indices, List<@Nullable NDArray> masks) {
		int b = qs.size();
		List<NDArray> keys = new ArrayList<>(b);
		List<NDArray> values = new ArrayList<>(b);
		boolean masked = false;
		for (int i = 0; i < b; i++) {
			LayerKvCache cache = caches.get(i);
			cache.append(ks.get(i), vs.get(i), indices[i]);
			keys.add(cache.keys(scope));
			values.add(cache.values(scope));
			masked |= masks.get(i) != null;
		}
		LibtorchKernels kernels = this.kernels;
		if (kernels != null && !masked) {
			return kernels.attend(qs, keys, values);
		}
		NDList outputs = new NDList(b);
		for (int i = 0; i < b; i++) {
			NDArray scores = qs.get(i).matMul(keys.get(i).transpose(0, 2, 1));
			NDArray mask = masks.get(i);
			if (mask != null) {
				scores.addi(mask);
			}
			outputs.add(scores.softmax(-1).matMul(values.get(i)));
		}
		return b == 1 ? outputs.singletonOrThrow() : NDArrays.concat(outputs, 0);
	}

	/**
	 * Causal attention of the (pre-scaled) queries [heads, t, head dim] over the layer's keys and values
	 * [kv heads, n, head dim], in blocks of query rows so that one block's scores stay within
	 * {@link #scoresPerBlock}; each block only reads the keys its rows can see. Returns [t, heads x head dim].
	 */
	private NDArray attention(NDManager scope, NDArray q, NDArray keys, NDArray values, int firstQueryIndex,
			@Nullable NDArray mask, AttentionObserver observer, int promptLength) {
		int t = (int) q.getShape().get(1);
		long n = keys.getShape().get(1);
		int heads = this.config.numHeads();
		int block = (int) Math.max(1, Math.min(t, scoresPerBlock / ((long) heads * n)));
		if (block >= t) {
			return attendBlock(q, keys, values, mask, firstQueryIndex, observer, promptLength);
		}
		NDList outputs = new NDList();
		for (int a = 0; a < t; a += block) {
			int b = Math.min(t, a + block);
			long visible = Math.min(n, firstQueryIndex + b);
			try (NDManager blockScope = scope.newSubManager()) {
				NDArray out = attendBlock(q.get(blockScope, new NDIndex(":, {}:{}, :", a, b)),
						keys.get(blockScope, new NDIndex(":, :{}, :", visible)),
						values.get(blockScope, new NDIndex(":, :{}, :", visible)),
						mask == null ? null : mask.get(blockScope, new NDIndex("{}:{}, :{}", a, b, visible)),
						firstQueryIndex + a, observer, promptLength);
				out.attach(scope);
				outputs.add(out);
			}
		}
		return NDArrays.concat(outputs, 0);
	}

	/** One block: rows {@code firstRow ..} (cache indices) attend over {@code keys}; returns [rows, heads x hd]. */
	private NDArray attendBlock(NDArray q, NDArray keys, NDArray values, @Nullable NDArray mask, int firstRow,
			AttentionObserver observer, int promptLength) {
		int rows = (int) q.getShape().get(1);
		long n = keys.getShape().get(1);
		int heads = this.config.numHeads();
		int kvHeads = this.config.numKvHeads();
		long hd = this.config.headDim();
		int group = heads / kvHeads;
		// Grouped-query attention without copying K/V per query head: fold the group into the row axis.
		NDArray scores = q.reshape(kvHeads, (long) group * rows, hd)
			.matMul(keys.transpose(0, 2, 1))
			.reshape(kvHeads, group, rows, n);
		if (mask != null) {
			scores.addi(mask);
		}
		NDArray probs = scores.softmax(-1);
		int firstObserved = observer.firstObservedRow(promptLength);
		if (firstObserved < firstRow + rows && firstRow < promptLength) {
			int from = Math.max(firstObserved, firstRow);
			observer.onProbabilities(this.index, from,
					probs.reshape(heads, rows, n).get(new NDIndex(":, {}:, :", from - firstRow)));
		}
		return probs.reshape(kvHeads, (long) group * rows, n)
			.matMul(values)
			.reshape(heads, rows, hd)
			.transpose(1, 0, 2)
			.reshape(new Shape(rows, (long) heads * hd));
	}

}
