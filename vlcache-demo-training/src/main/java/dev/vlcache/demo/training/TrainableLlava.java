package dev.vlcache.demo.training;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

import dev.vlcache.core.checkpoint.SafetensorsFile;
import dev.vlcache.testsupport.SafetensorsWriter;
import dev.vlcache.core.checkpoint.TensorEntry;
import dev.vlcache.core.config.LlavaConfig;
import dev.vlcache.core.config.TextConfig;
import dev.vlcache.core.config.VisionConfig;
import dev.vlcache.core.nn.Ops;
import dev.vlcache.core.text.RotaryEmbedding;

/**
 * The demo model's parameters, under their Hugging Face names, and a batched forward pass through the same
 * architecture the inference engine runs (SigLIP tower, LLaVA projector, Llama decoder), differentiable with DJL's
 * autograd. A parity test checks that a checkpoint exported from here and loaded by the engine gives the same
 * logits.
 */
final class TrainableLlava implements AutoCloseable {

	private static final String LM = "language_model.model.";

	private static final String VM = "vision_tower.vision_model.";

	/** The LM head, when not tied to the embeddings. */
	static final String LM_HEAD = "language_model.lm_head.weight";

	/** The decoder's word embeddings, which stage 1 aligns image tokens to. */
	static final String EMBEDDINGS = LM + "embed_tokens.weight";

	private final LlavaConfig config;

	private final NDManager manager;

	private final Map<String, NDArray> parameters = new LinkedHashMap<>();

	private final RotaryEmbedding rope;

	/** Fresh parameters drawn from {@code seed}. */
	TrainableLlava(LlavaConfig config, NDManager parent, long seed) {
		this.config = config;
		this.manager = parent.newSubManager();
		this.rope = new RotaryEmbedding(config.text());
		SplittableRandom random = new SplittableRandom(seed);
		TextConfig t = config.text();
		VisionConfig v = config.vision();
		int d = t.hiddenSize();
		int f = t.intermediateSize();
		int dv = v.hiddenSize();
		int fv = v.intermediateSize();
		int p = v.patchSize();
		int layersScale = 2 * t.numLayers();
		// Unit-norm rows: logits start near unit scale.
		normal(random, EMBEDDINGS, 1 / Math.sqrt(d), t.vocabSize(), d);
		if (t.vocabSize() <= d) {
			orthonormalRows(EMBEDDINGS, t.vocabSize(), d);
		}
		if (!t.tieWordEmbeddings()) {
			normal(random, LM_HEAD, 1 / Math.sqrt(d), t.vocabSize(), d);
		}
		constant(LM + "norm.weight", 1, d);
		for (int l = 0; l < t.numLayers(); l++) {
			String q = LM + "layers." + l + ".";
			constant(q + "input_layernorm.weight", 1, d);
			constant(q + "post_attention_layernorm.weight", 1, d);
			normal(random, q + "self_attn.q_proj.weight", 1 / Math.sqrt(d), d, d);
			normal(random, q + "self_attn.k_proj.weight", 1 / Math.sqrt(d), d, d);
			normal(random, q + "self_attn.v_proj.weight", 1 / Math.sqrt(d), d, d);
			normal(random, q + "self_attn.o_proj.weight", 1 / Math.sqrt(d * layersScale), d, d);
			normal(random, q + "mlp.gate_proj.weight", 1 / Math.sqrt(d), f, d);
			normal(random, q + "mlp.up_proj.weight", 1 / Math.sqrt(d), f, d);
			normal(random, q + "mlp.down_proj.weight", 1 / Math.sqrt(f * layersScale), d, f);
		}
		// The grounded layer starts as a copier: its heads together pass the attended token through unchanged (the
		// value and output projections are identity blocks), so that every attribute stage 1 wrote into an object's
		// token reaches the answer position as soon as the heads find the object. (Alone, with the projector and
		// embeddings still trainable, it did not change which attributes were learnt; see freezeAlignedInputs.)
		if (t.numLayers() > FIRST_GROUNDED_LAYER) {
			String copier = LM + "layers." + FIRST_GROUNDED_LAYER + ".self_attn.";
			eye(copier + "v_proj.weight", 1, d);
			eye(copier + "o_proj.weight", READOUT_GAIN, d);
		}
		// The layers before it start as identities (both residual branches write zero), so that they do not overwrite
		// the attributes in the image tokens before the copier reads them. Started at random, layer 0 did: in the
		// model shipped before, LogitLens reads the right letter off the shape's token 1.00 of the time at the
		// decoder's input and 0.20 after layer 0, and in 9 of 12 runs with that start letters were never learnt.
		for (int l = 0; l < Math.min(FIRST_GROUNDED_LAYER, t.numLayers()); l++) {
			constant(LM + "layers." + l + ".self_attn.o_proj.weight", 0, d, d);
			constant(LM + "layers." + l + ".mlp.down_proj.weight", 0, d, f);
		}
		int inputs = v.numChannels() * p * p;
		normal(random, VM + "embeddings.patch_embedding.weight", 1 / Math.sqrt(inputs), dv, v.numChannels(), p, p);
		constant(VM + "embeddings.patch_embedding.bias", 0, dv);
		normal(random, VM + "embeddings.position_embedding.weight", 0.5, v.numPositions(), dv);
		for (int l = 0; l < v.numLayers(); l++) {
			String q = VM + "encoder.layers." + l + ".";
			for (String n : List.of("layer_norm1", "layer_norm2")) {
				constant(q + n + ".weight", 1, dv);
				constant(q + n + ".bias", 0, dv);
			}
			for (String n : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
				normal(random, q + "self_attn." + n + ".weight", 1 / Math.sqrt(dv), dv, dv);
				constant(q + "self_attn." + n + ".bias", 0, dv);
			}
			normal(random, q + "mlp.fc1.weight", 1 / Math.sqrt(dv), fv, dv);
			constant(q + "mlp.fc1.bias", 0, fv);
			normal(random, q + "mlp.fc2.weight", 1 / Math.sqrt(fv), dv, fv);
			constant(q + "mlp.fc2.bias", 0, dv);
		}
		// Not used by LLaVA (features are taken before it), but part of a complete SigLIP vision model.
		constant(VM + "post_layernorm.weight", 1, dv);
		constant(VM + "post_layernorm.bias", 0, dv);
		normal(random, "multi_modal_projector.linear_1.weight", 1 / Math.sqrt(dv), d, dv);
		constant("multi_modal_projector.linear_1.bias", 0, d);
		normal(random, "multi_modal_projector.linear_2.weight", 1 / Math.sqrt(d), d, d);
		constant("multi_modal_projector.linear_2.bias", 0, d);
		this.parameters.forEach((name, a) -> a.setRequiresGradient(trained(name)));
	}

	/**
	 * Stage 2's setting: everything stage 1 aligned stays as it is (vision tower, projector and the word
	 * embeddings its targets were made of, which are also the tied LM head), and only the decoder learns to read
	 * the image tokens. Measured on the trainer's log (share of answer words right per kind): with the tower alone
	 * frozen, colours and letters were learnt and shapes never (0.25-0.35 through 9000 steps); with everything
	 * trainable, colours and shapes were learnt and letters fell to chance as the tower forgot them. With these
	 * inputs frozen, shapes, places and counts are read within 500-1000 steps and colours follow (0.97 by step
	 * 3800) once {@link KindEmphasis} gives the kinds still wrong most of the loss. Letters stayed at chance until
	 * no conversation gave answers away and layer 0 started as an identity (see the constructor).
	 */
	void freezeAlignedInputs() {
		this.parameters.forEach((name, a) -> {
			if (name.startsWith("vision_tower.") || name.startsWith("multi_modal_projector.") || name.equals(EMBEDDINGS)) {
				a.setRequiresGradient(false);
			}
		});
	}

	/**
	 * Lets projector and embeddings learn again (the tower stays frozen), for {@code --release-at}. Not used by the
	 * default recipe: once no training conversation gave an answer away in an earlier turn, the decoder read every
	 * attribute off the frozen tokens, and a release at step 3000 cost every kind 0.1-0.2 of its answers right.
	 */
	void releaseAlignedInputs() {
		this.parameters.forEach((name, a) -> {
			if (name.startsWith("multi_modal_projector.") || name.equals(EMBEDDINGS)) {
				a.setRequiresGradient(true);
			}
		});
	}

	Map<String, NDArray> parameters() {
		return this.parameters;
	}

	LlavaConfig config() {
		return this.config;
	}

	/** Parameters the forward pass uses (the post-LayerNorm is exported only). */
	boolean trained(String name) {
		return !name.contains("post_layernorm");
	}

	/**
	 * Logits for the batch's target positions, [targets, vocabulary]. Arrays are created in {@code scope}; call
	 * with the parameters temporarily attached to it so that nothing outlives the step.
	 */
	NDArray forward(NDManager scope, TrainingBatch batch) {
		return forwardWithGrounding(scope, batch).logits();
	}

	/**
	 * The logits and what the grounding heads attend to.
	 * @param logits logits for the batch's target positions, [targets, vocabulary]
	 * @param evidenceMass for each grounding head (one row each), the attention it pays from each of the batch's
	 *        ground positions to the evidence tokens, [heads, ground positions]; null when the batch has no such
	 *        position
	 * @param grounded 1 where that head's layer still holds the evidence for that position, 0 where a simulated
	 *        eviction took it ({@link TrainingBatch#grounds}), same shape as {@code evidenceMass}; null with it
	 */
	record Output(NDArray logits, @org.jspecify.annotations.Nullable NDArray evidenceMass,
			@org.jspecify.annotations.Nullable NDArray grounded) {
	}

	/** As {@link #forward}, also collecting the grounding heads' attention to the evidence (see {@link #groundingLoss}). */
	Output forwardWithGrounding(NDManager scope, TrainingBatch batch) {
		TextConfig t = this.config.text();
		int d = t.hiddenSize();
		NDArray x = decoderInput(scope, batch);
		int length = batch.length();
		NDArray[] cosSin = this.rope.cosSin(scope, 0, length, ai.djl.ndarray.types.DataType.FLOAT32);
		Shape maskShape = new Shape(batch.sequences(), 1, length, length);
		NDArray sharedMask = scope.create(batch.mask(), maskShape);
		boolean grounded = batch.groundPositions().length > 0;
		NDArray groundRows = grounded ? scope.create(batch.groundPositions()) : null;
		NDArray evidence = grounded
				? scope.create(batch.evidence(), new Shape(batch.groundPositions().length, length)) : null;
		List<NDArray> masses = new ArrayList<>();
		List<float[]> grounds = new ArrayList<>();
		for (int l = 0; l < t.numLayers(); l++) {
			float[] layerMask = batch.mask(l);
			NDArray mask = layerMask == batch.mask() ? sharedMask : scope.create(layerMask, maskShape);
			NDArray[] probe = groundRows != null && l >= FIRST_GROUNDED_LAYER ? new NDArray[1] : null;
			x = decoderLayer(x, l, cosSin, mask, probe);
			if (probe != null) {
				// Every head of the first grounded layer, so that all of its value width carries the object; one head
				// in later layers, the others stay free (counting, descriptions).
				int groundingHeads = l == FIRST_GROUNDED_LAYER ? t.numHeads() : 1;
				// Where this layer still holds the evidence: the same for all of its heads.
				float[] valid = new float[batch.groundPositions().length];
				for (int g = 0; g < valid.length; g++) {
					valid[g] = batch.grounds(g, l) ? 1 : 0;
				}
				for (int h = 0; h < groundingHeads; h++) {
					NDArray head = probe[0].get(new NDIndex(":, {}", h)).reshape(-1, length).get(new NDIndex("{}", groundRows));
					masses.add(head.mul(evidence).sum(new int[] { 1 }));
					grounds.add(valid);
				}
			}
		}
		// Normalised before the target rows are picked: picked first, the same numbers came out different in their
		// last bits, and the shipped model's run would no longer be repeated bit for bit.
		NDArray selected = finalNorm(x).reshape(-1, d).get(new NDIndex("{}", scope.create(batch.targetPositions())));
		NDArray logits = Ops.linear(selected, head(), null);
		if (masses.isEmpty()) {
			return new Output(logits, null, null);
		}
		int positions = batch.groundPositions().length;
		float[] valid = new float[grounds.size() * positions];
		for (int i = 0; i < grounds.size(); i++) {
			System.arraycopy(grounds.get(i), 0, valid, i * positions, positions);
		}
		return new Output(logits, NDArrays.stack(new NDList(masses)),
				scope.create(valid, new Shape(grounds.size(), positions)));
	}

	/** The embedded prompts with each image token replaced by its projected feature, [sequences, length, hidden]. */
	private NDArray decoderInput(NDManager scope, TrainingBatch batch) {
		NDArray features = imageFeatures(scope, batch);
		NDArray text = this.parameters.get(LM + "embed_tokens.weight").get(scope,
				new NDIndex("{}", scope.create(batch.ids())));
		NDArray rows = features == null ? text : NDArrays.concat(new NDList(text, features), 0);
		return rows.get(new NDIndex("{}", scope.create(batch.gather()))).reshape(batch.sequences(), batch.length(),
				this.config.text().hiddenSize());
	}

	/**
	 * The decoder's residual stream: its input, then each layer's output, each [sequences, length, hidden]. What
	 * {@link LogitLens} reads; without gradients.
	 */
	List<NDArray> residualStream(NDManager scope, TrainingBatch batch) {
		TextConfig t = this.config.text();
		NDArray x = decoderInput(scope, batch);
		NDArray[] cosSin = this.rope.cosSin(scope, 0, batch.length(), ai.djl.ndarray.types.DataType.FLOAT32);
		Shape maskShape = new Shape(batch.sequences(), 1, batch.length(), batch.length());
		List<NDArray> stream = new ArrayList<>(List.of(x));
		for (int l = 0; l < t.numLayers(); l++) {
			x = decoderLayer(x, l, cosSin, scope.create(batch.mask(l), maskShape), null);
			stream.add(x);
		}
		return stream;
	}

	/** Logits of hidden states [..., hidden]: the final norm, then the LM head, as the last layer's output is read. */
	NDArray readOut(NDArray hidden) {
		return Ops.linear(finalNorm(hidden), head(), null);
	}

	private NDArray finalNorm(NDArray hidden) {
		return Ops.rmsNorm(hidden, param(LM + "norm.weight"), this.config.text().rmsNormEps());
	}

	/** Tied: the LM head is the embedding matrix, whose rows stage 1 aligned the image tokens with. */
	private NDArray head() {
		return this.config.text().tieWordEmbeddings() ? param(EMBEDDINGS) : param(LM_HEAD);
	}

	/**
	 * Replaces every parameter with the tensor of the same name and shape in a checkpoint's safetensors file, to
	 * read a trained model (the arrays are new: nothing records their gradients).
	 * @throws IllegalArgumentException if the file lacks a parameter or holds it in another shape
	 */
	void load(Path safetensors) {
		Map<String, TensorEntry> entries = new HashMap<>();
		for (TensorEntry e : SafetensorsFile.readEntries(safetensors)) {
			entries.put(e.name(), e);
		}
		for (String name : List.copyOf(this.parameters.keySet())) {
			TensorEntry e = entries.get(name);
			long[] shape = this.parameters.get(name).getShape().getShape();
			if (e == null || !Arrays.equals(e.shape(), shape)) {
				throw new IllegalArgumentException(safetensors + " has no tensor " + name + " of shape "
						+ Arrays.toString(shape));
			}
			this.parameters.get(name).close();
			put(name, SafetensorsFile.readFloats(e), shape);
		}
	}

	/** What stage 2 minimises: the answer loss plus {@value #GROUNDING_WEIGHT} times the grounding loss. */
	static NDArray objective(NDArray answerLoss, NDArray groundingLoss) {
		return answerLoss.add(groundingLoss.mul(scalar(groundingLoss, GROUNDING_WEIGHT)));
	}

	/**
	 * Grounding supervision: the negative log of the attention mass that the grounding heads (every head of layer
	 * {@value #FIRST_GROUNDED_LAYER}, the first head of each later layer) pay, wherever an answer word is
	 * predicted, to the image tokens of the coloured shapes. Without it attention must find one image token among
	 * up to a thousand from the answer loss alone, whose gradient through a near-uniform softmax is a thousandth of
	 * what it is once found: without it colours were read right 0.18 of the time after 800 steps, with it 0.88
	 * after 500. Zero when the batch asks nothing about coloured shapes.
	 */
	static NDArray groundingLoss(Output output) {
		NDArray mass = output.evidenceMass();
		NDArray grounded = output.grounded();
		if (mass == null || grounded == null) {
			return output.logits().getManager().zeros(new Shape());
		}
		// Heads whose layer lost the evidence to a simulated eviction are not asked to find it.
		return mass.add(scalar(mass, 1e-6f))
			.log()
			.mul(grounded)
			.sum()
			.div(grounded.sum().maximum(scalar(mass, 1f)))
			.neg();
	}

	/** Cross-entropy of {@code logits} against the batch's targets, weighted so that every answer counts alike. */
	static NDArray loss(NDArray logits, TrainingBatch batch) {
		return loss(logits, batch, batch.weights());
	}

	/** Cross-entropy of {@code logits} against the batch's targets, each target weighing {@code weights[i]}. */
	static NDArray loss(NDArray logits, TrainingBatch batch, float[] weights) {
		int n = batch.targets().length;
		int vocab = (int) logits.getShape().get(1);
		float[] oneHot = new float[n * vocab];
		float total = 0;
		for (float w : weights) {
			total += w;
		}
		for (int i = 0; i < n; i++) {
			oneHot[i * vocab + (int) batch.targets()[i]] = weights[i] / total;
		}
		NDArray target = logits.getManager().create(oneHot, new Shape(n, vocab));
		return logits.logSoftmax(-1).mul(target).sum().neg();
	}

	private @org.jspecify.annotations.Nullable NDArray imageFeatures(NDManager scope, TrainingBatch batch) {
		if (batch.images() == 0) {
			return null;
		}
		return imageFeatures(scope, batch.pixels(), batch.images());
	}

	/** Projected image features, [images x patches, hidden]: what the decoder sees of the pages. */
	NDArray imageFeatures(NDManager scope, float[] pixelValues, int images) {
		VisionConfig v = this.config.vision();
		int size = v.imageSize();
		int p = v.patchSize();
		int g = size / p;
		int dv = v.hiddenSize();
		NDArray pixels = scope.create(pixelValues, new Shape(images, 3, size, size));
		NDArray x = Conv2d
			.conv2d(pixels, param(VM + "embeddings.patch_embedding.weight"),
					param(VM + "embeddings.patch_embedding.bias"), new Shape(p, p), new Shape(0, 0), new Shape(1, 1))
			.singletonOrThrow()
			.reshape(images, dv, g * g)
			.transpose(0, 2, 1)
			.add(param(VM + "embeddings.position_embedding.weight"));
		for (int l = 0; l < v.numLayers(); l++) {
			x = visionLayer(x, l);
		}
		NDArray h = Ops.linear(x.reshape(-1, dv), param("multi_modal_projector.linear_1.weight"),
				param("multi_modal_projector.linear_1.bias"));
		h = Ops.activation(h, this.config.projectorHiddenAct());
		return Ops.linear(h, param("multi_modal_projector.linear_2.weight"),
				param("multi_modal_projector.linear_2.bias"));
	}

	private NDArray visionLayer(NDArray x, int l) {
		VisionConfig v = this.config.vision();
		String q = VM + "encoder.layers." + l + ".";
		long images = x.getShape().get(0);
		long n = x.getShape().get(1);
		int heads = v.numHeads();
		int hd = v.hiddenSize() / heads;
		NDArray h = Ops.layerNorm(x, param(q + "layer_norm1.weight"), param(q + "layer_norm1.bias"),
				v.layerNormEps());
		NDArray qs = heads(Ops.linear(h, param(q + "self_attn.q_proj.weight"), param(q + "self_attn.q_proj.bias")),
				heads);
		NDArray ks = heads(Ops.linear(h, param(q + "self_attn.k_proj.weight"), param(q + "self_attn.k_proj.bias")),
				heads);
		NDArray vs = heads(Ops.linear(h, param(q + "self_attn.v_proj.weight"), param(q + "self_attn.v_proj.bias")),
				heads);
		NDArray attention = qs.matMul(ks.transpose(0, 1, 3, 2))
			.mul(scalar(qs, (float) (1 / Math.sqrt(hd))))
			.softmax(-1)
			.matMul(vs);
		NDArray merged = attention.transpose(0, 2, 1, 3).reshape(images, n, v.hiddenSize());
		x = x.add(Ops.linear(merged, param(q + "self_attn.out_proj.weight"), param(q + "self_attn.out_proj.bias")));
		h = Ops.layerNorm(x, param(q + "layer_norm2.weight"), param(q + "layer_norm2.bias"), v.layerNormEps());
		NDArray mlp = Ops.linear(
				Ops.activation(Ops.linear(h, param(q + "mlp.fc1.weight"), param(q + "mlp.fc1.bias")), v.hiddenAct()),
				param(q + "mlp.fc2.weight"), param(q + "mlp.fc2.bias"));
		return x.add(mlp);
	}

	/** The first layer with grounding heads (layer 0 is left to read the question). */
	static final int FIRST_GROUNDED_LAYER = 1;

	/**
	 * Scale of the grounded layer's initial output projection: its input is RMS-normalised (norm about the square
	 * root of the width, 11 at 128), so 0.2 adds the copied token at about the norm stage 1 gave it (five to six
	 * unit word vectors).
	 */
	static final float READOUT_GAIN = 0.2f;

	/** Weight of the grounding loss beside the answer loss: a nudge that finds the object, not the objective. */
	static final float GROUNDING_WEIGHT = 0.1f;

	/** One decoder layer; stores its attention probabilities, [batch, heads, n, n], in {@code probe[0]}. */
	private NDArray decoderLayer(NDArray x, int l, NDArray[] cosSin, NDArray mask,
			@org.jspecify.annotations.Nullable NDArray[] probe) {
		TextConfig t = this.config.text();
		String q = LM + "layers." + l + ".";
		long b = x.getShape().get(0);
		long n = x.getShape().get(1);
		int heads = t.numHeads();
		NDArray h = Ops.rmsNorm(x, param(q + "input_layernorm.weight"), t.rmsNormEps());
		NDArray qs = rotate(heads(Ops.linear(h, param(q + "self_attn.q_proj.weight"), null), heads), cosSin);
		NDArray ks = rotate(heads(Ops.linear(h, param(q + "self_attn.k_proj.weight"), null), heads), cosSin);
		NDArray vs = heads(Ops.linear(h, param(q + "self_attn.v_proj.weight"), null), heads);
		NDArray probabilities = qs.matMul(ks.transpose(0, 1, 3, 2))
			.mul(scalar(qs, (float) (1 / Math.sqrt(t.headDim()))))
			.add(mask)
			.softmax(-1);
		if (probe != null) {
			probe[0] = probabilities;
		}
		NDArray attention = probabilities.matMul(vs);
		NDArray merged = attention.transpose(0, 2, 1, 3).reshape(b, n, (long) heads * t.headDim());
		x = x.add(Ops.linear(merged, param(q + "self_attn.o_proj.weight"), null));
		h = Ops.rmsNorm(x, param(q + "post_attention_layernorm.weight"), t.rmsNormEps());
		NDArray gate = Ops.activation(Ops.linear(h, param(q + "mlp.gate_proj.weight"), null), t.hiddenAct());
		NDArray up = Ops.linear(h, param(q + "mlp.up_proj.weight"), null);
		return x.add(Ops.linear(gate.mul(up), param(q + "mlp.down_proj.weight"), null));
	}

	/** [batch, positions, heads x dim] to [batch, heads, positions, dim]. */
	private static NDArray heads(NDArray x, int heads) {
		Shape s = x.getShape();
		return x.reshape(s.get(0), s.get(1), heads, s.get(2) / heads).transpose(0, 2, 1, 3);
	}

	/** Rotary embedding on [batch, heads, positions, dim], the same rotation as the engine's. */
	private static NDArray rotate(NDArray x, NDArray[] cosSin) {
		long half = x.getShape().get(3) / 2;
		NDArray x1 = x.get(new NDIndex("..., :{}", half));
		NDArray x2 = x.get(new NDIndex("..., {}:", half));
		NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), -1);
		return x.mul(cosSin[0]).add(rotated.mul(cosSin[1]));
	}

	/**
	 * {@code value} as a scalar array in {@code like}'s manager (the step's scope), for arithmetic that autograd
	 * differentiates. DJL's {@code mul(Number)} and the like wrap the number in an array over Java memory and close
	 * it at once, but autograd keeps that array for the backward pass, which then reads memory the garbage collector
	 * may already have freed and reused: layer 0's query and key gradients came out exactly 0 in some runs, and
	 * which runs followed the collector. Held by the scope, the scalar lives until the step's update is done.
	 */
	static NDArray scalar(NDArray like, float value) {
		return like.getManager().create(value);
	}

	private NDArray param(String name) {
		NDArray a = this.parameters.get(name);
		if (a == null) {
			throw new IllegalStateException("no parameter " + name);
		}
		return a;
	}

	/** The parameters as safetensors entries, in float32. */
	List<SafetensorsWriter.Tensor> tensors() {
		List<SafetensorsWriter.Tensor> out = new ArrayList<>();
		for (Map.Entry<String, NDArray> e : this.parameters.entrySet()) {
			NDArray a = e.getValue();
			out.add(new SafetensorsWriter.Tensor(e.getKey(), SafetensorsWriter.DType.F32, a.getShape().getShape(),
					a.toFloatArray()));
		}
		return out;
	}

	private void normal(SplittableRandom random, String name, double std, long... shape) {
		long count = new Shape(shape).size();
		float[] v = new float[Math.toIntExact(count)];
		for (int i = 0; i < v.length; i++) {
			v[i] = (float) (gaussian(random) * std);
		}
		put(name, v, shape);
	}

	/**
	 * Makes the rows of a [rows, columns] parameter orthonormal (Gram-Schmidt). For the word embeddings, which stage 2
	 * first keeps frozen as the tied LM head: an image token is then a sum of orthogonal words, and the decoder can
	 * favour a whole kind of answer (any region word) by adding the sum of its words, which raises each of them by
	 * exactly the same logit; with random rows that sum favours some words of the kind over others. Measured: region
	 * words right 0.85 at step 1000 against 0.64 with random rows.
	 */
	private void orthonormalRows(String name, int rows, int columns) {
		float[] w = this.parameters.get(name).toFloatArray();
		double[][] basis = new double[rows][columns];
		for (int r = 0; r < rows; r++) {
			double[] v = basis[r];
			for (int c = 0; c < columns; c++) {
				v[c] = w[r * columns + c];
			}
			for (int p = 0; p < r; p++) {
				double dot = 0;
				for (int c = 0; c < columns; c++) {
					dot += v[c] * basis[p][c];
				}
				for (int c = 0; c < columns; c++) {
					v[c] -= dot * basis[p][c];
				}
			}
			double norm = 0;
			for (double x : v) {
				norm += x * x;
			}
			norm = Math.sqrt(norm);
			for (int c = 0; c < columns; c++) {
				v[c] /= norm;
				w[r * columns + c] = (float) v[c];
			}
		}
		this.parameters.get(name).close();
		put(name, w, rows, columns);
	}

	private void eye(String name, float value, int size) {
		float[] v = new float[size * size];
		for (int i = 0; i < size; i++) {
			v[i * size + i] = value;
		}
		put(name, v, size, size);
	}

	private void constant(String name, float value, long... shape) {
		float[] v = new float[Math.toIntExact(new Shape(shape).size())];
		java.util.Arrays.fill(v, value);
		put(name, v, shape);
	}

	private void put(String name, float[] values, long... shape) {
		this.parameters.put(name, this.manager.create(values, new Shape(shape)));
	}

	/** Box-Muller from the seeded generator, so initialisation is the same on every JVM. */
	private static double gaussian(SplittableRandom random) {
		double u = 1 - random.nextDouble();
		double w = random.nextDouble();
		return StrictMath.sqrt(-2 * StrictMath.log(u)) * StrictMath.cos(2 * Math.PI * w);
	}

	@Override
	public void close() {
		this.manager.close();
	}

}
