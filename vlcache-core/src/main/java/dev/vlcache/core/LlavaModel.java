package dev.vlcache.core;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.checkpoint.CheckpointException;
import dev.vlcache.core.checkpoint.WeightIndex;
import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.config.ConfigParser;
import dev.vlcache.core.config.ModelConfig;
import dev.vlcache.core.family.FamilyCheckpoint;
import dev.vlcache.core.family.ImagePreparer;
import dev.vlcache.core.family.ModelFamilies;
import dev.vlcache.core.family.PositionScheme;
import dev.vlcache.core.family.PreparedImage;
import dev.vlcache.core.family.VisionEncoder;
import dev.vlcache.core.family.llava.LlavaVision;
import dev.vlcache.core.image.ImageProcessor;
import dev.vlcache.core.image.RgbImage;
import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.runtime.DeviceSelector;
import dev.vlcache.core.runtime.Int8Activations;
import dev.vlcache.core.runtime.LibtorchKernels;
import dev.vlcache.core.template.ChatTemplate;
import dev.vlcache.core.text.AttentionObserver;
import dev.vlcache.core.text.LanguageModel;
import dev.vlcache.core.text.RotaryPositions;
import dev.vlcache.core.tokenizer.EncodedPrompt;
import dev.vlcache.core.tokenizer.PromptEncoder;
import dev.vlcache.core.tokenizer.TextTokenizer;
import dev.vlcache.core.template.ChatMessage;

/**
 * A vision-language model of any supported family (LLaVA-1.5, LLaVA-NeXT, LLaVA-OneVision, Qwen2-VL) loaded from
 * a Hugging Face checkpoint folder onto DJL's PyTorch engine. The family, chosen by {@code model_type}, supplies
 * the image processor, vision encoder and position scheme; the decoder, tokenizer and chat template are shared.
 * Its weights belong to the model's {@link NDManager}, freed by {@link #close()}. It is safe to use from several
 * threads: each request works in its own child manager ({@link #newRequestManager()}).
 *
 * <p>
 * These are the building blocks ({@link #prepareImages}, {@link #encodePrompt}, {@link #promptEmbeddings},
 * {@link #forward}); {@link dev.vlcache.core.generation.Generator} runs whole requests on top of them.
 */
public final class LlavaModel implements AutoCloseable {

	private final Path folder;

	private final ModelConfig config;

	private final NDManager manager;

	private final Device device;

	private final DataType dtype;

	private final ImagePreparer images;

	private final VisionEncoder vision;

	private final PositionScheme positions;

	private final LanguageModel language;

	private final long decoderWeightBytes;

	private final String weightsName;

	private final TextTokenizer tokenizer;

	private final ChatTemplate chatTemplate;

	private final PromptEncoder promptEncoder;

	private final long parameterCount;

	private final long decoderParameterCount;

	private final java.util.Set<Integer> eosTokenIds;

	private LlavaModel(Path folder, ModelOptions options) {
		this.folder = folder;
		if (!Files.isDirectory(folder)) {
			throw new CheckpointException("Model folder " + folder + " does not exist or is not a directory");
		}
		Path configFile = folder.resolve("config.json");
		JsonObject root = ConfigParser.readJson(configFile);
		String modelType = ConfigParser.string(root, "model_type", null);
		if (modelType == null) {
			throw new CheckpointException("config.json in " + folder + " has no \"model_type\"; supported: "
					+ String.join(", ", ModelFamilies.supportedTypes()));
		}
		FamilyCheckpoint family = ModelFamilies.forType(modelType, configFile).open(folder, root);
		this.config = family.config();
		this.images = family.images();
		this.positions = family.positions();
		this.device = DeviceSelector.selectDevice(options.device());
		this.dtype = DeviceSelector.selectDtype(options.dtype(), this.device);
		this.chatTemplate = ChatTemplate.load(folder);
		this.tokenizer = TextTokenizer.load(folder);
		WeightIndex index = WeightIndex.open(folder);
		this.manager = Engine.getEngine("PyTorch").newBaseManager(this.device);
		try {
			WeightLoader loader = new WeightLoader(index, this.manager, this.dtype);
			this.vision = family.loadVision(loader);
			long beforeDecoder = loader.loadedParameters();
			long bytesBeforeDecoder = loader.loadedBytes();
			// The vision tower runs once per image, like a prefill: only the decoder's matrices are worth halving.
			if (options.weights().equals("float16")) {
				loader.storeMatricesAs(DataType.FLOAT16);
			}
			// A 1 KB TorchScript module: the int8 products, and a decoding step's attention in one native call.
			LibtorchKernels kernels = LibtorchKernels.load(this.manager);
			if (options.weights().equals("int8")) {
				loader.quantizeMatrices(kernels, Int8Activations.BFLOAT16);
			}
			else if (options.weights().equals("int8-dynamic")) {
				loader.quantizeMatrices(kernels, Int8Activations.DYNAMIC_INT8);
			}
			else if (options.weights().equals("float32") && kernels.packsFloat32()) {
				// Applies to float32 matrices on a CPU only (WeightLoader.float32Packer).
				loader.packFloat32Matrices(kernels);
			}
			this.language = new LanguageModel(loader, this.config.text(), false, this.dtype, options.prefillChunkTokens(),
					kernels);
			this.parameterCount = loader.loadedParameters();
			this.decoderParameterCount = this.parameterCount - beforeDecoder;
			this.decoderWeightBytes = loader.loadedBytes() - bytesBeforeDecoder;
			this.weightsName = switch (loader.matrixType()) {
				case FLOAT16 -> "float16";
				case INT8 -> loader.int8Activations() == Int8Activations.DYNAMIC_INT8 ? "int8-dynamic" : "int8";
				default -> "float32";
			};
		}
		catch (RuntimeException ex) {
			this.manager.close();
			this.tokenizer.close();
			throw ex;
		}
		java.util.Set<Integer> eos = new java.util.LinkedHashSet<>(this.config.eosTokenIds());
		String eosText = this.chatTemplate.eosToken();
		if (eosText != null) {
			long[] ids = this.tokenizer.encode(eosText, false);
			if (ids.length == 1) {
				eos.add((int) ids[0]);
			}
		}
		this.eosTokenIds = java.util.Set.copyOf(eos);
		this.promptEncoder = new PromptEncoder(this.tokenizer, this.chatTemplate, this.config.imageTokenId(),
				this.config.fixedImageTokens(), this.config.text().maxPositionEmbeddings());
	}

	/** Loads the checkpoint in {@code folder}; every problem is reported as a {@link CheckpointException}. */
	public static LlavaModel load(Path folder, ModelOptions options) {
		return new LlavaModel(folder, options);
	}

	public Path folder() {
		return this.folder;
	}

	/** The folder's name, used as the model's name. */
	public String name() {
		Path name = this.folder.getFileName();
		return name != null ? name.toString() : this.folder.toString();
	}

	public ModelConfig config() {
		return this.config;
	}

	public Device device() {
		return this.device;
	}

	/** {@code cpu} or {@code gpu:N}, as the {@code device} setting spells it. */
	public String deviceName() {
		return this.device.isGpu() ? "gpu:" + this.device.getDeviceId() : "cpu";
	}

	/** {@code float32} or {@code float16}, as the {@code dtype} setting spells it. */
	public String dtypeName() {
		return this.dtype == DataType.FLOAT16 ? "float16" : "float32";
	}

	public DataType dtype() {
		return this.dtype;
	}

	public long parameterCount() {
		return this.parameterCount;
	}

	/** Token ids that end generation: from config.json, generation_config.json and the tokenizer's eos_token. */
	public java.util.Set<Integer> eosTokenIds() {
		return this.eosTokenIds;
	}

	/** Native arrays currently alive under this model (weights plus in-flight requests); for leak checks. */
	public int liveArrayCount() {
		return this.manager.getManagedArrays().size();
	}

	/** Bytes of the language model's weights as stored: what a decoding step reads. */
	public long decoderWeightBytes() {
		return this.decoderWeightBytes;
	}

	/**
	 * How the language model's matrices are stored: {@code float32}, {@code float16}, {@code int8} or
	 * {@code int8-dynamic} (int8 whose one-row products quantize the activations too).
	 */
	public String weightsName() {
		return this.weightsName;
	}

	/** Parameters of the language model alone (embeddings, decoder layers, LM head): what a decoding step reads. */
	public long decoderParameterCount() {
		return this.decoderParameterCount;
	}

	public TextTokenizer tokenizer() {
		return this.tokenizer;
	}

	public PromptEncoder promptEncoder() {
		return this.promptEncoder;
	}

	/** LLaVA-1.5's image processor; the families that tile or resize images per image have none of this kind. */
	public ImageProcessor imageProcessor() {
		return llavaVision("imageProcessor").processor();
	}

	private LlavaVision llavaVision(String what) {
		if (this.vision instanceof LlavaVision llava) {
			return llava;
		}
		throw new UnsupportedOperationException(what + " is for llava checkpoints (one fixed-size image per "
				+ "placeholder); this is a " + this.config.modelType() + " model: use prepareImages and promptEmbeddings");
	}

	public int numLayers() {
		return this.language.numLayers();
	}

	/** A manager for one request's arrays; closing it frees all of them. */
	public NDManager newRequestManager() {
		return this.manager.newSubManager();
	}

	/**
	 * Runs the family's image processor on every image, before any model work.
	 * @throws IllegalArgumentException naming the image and the limit when the processor cannot take one
	 */
	public List<PreparedImage> prepareImages(List<RgbImage> rgbImages) {
		List<PreparedImage> out = new java.util.ArrayList<>();
		for (int i = 0; i < rgbImages.size(); i++) {
			out.add(this.images.prepare(rgbImages.get(i), "image " + (i + 1)));
		}
		return out;
	}

	/**
	 * Renders and tokenizes {@code messages}, expanding each image placeholder to that image's tokens, with the
	 * family's rotary positions; {@code reserve} tokens must still fit in the context after the prompt.
	 */
	public EncodedPrompt encodePrompt(List<ChatMessage> messages, List<PreparedImage> prepared,
			boolean addGenerationPrompt, int reserve) {
		int[] counts = prepared.stream().mapToInt(PreparedImage::tokens).toArray();
		EncodedPrompt prompt = this.promptEncoder.encode(messages, counts, addGenerationPrompt, reserve);
		return prompt.withPositions(this.positions.forPrompt(prompt.ids(), prompt.layout(), prepared));
	}

	/**
	 * Prompt embeddings [n, hidden]: token embeddings, with the image tokens replaced by the images' features in
	 * prompt order.
	 */
	public NDArray promptEmbeddings(NDManager scope, EncodedPrompt prompt, List<PreparedImage> prepared) {
		NDArray features = prepared.isEmpty() ? null : this.vision.encode(scope, prepared);
		return inputEmbeddings(scope, prompt, features);
	}

	/** LLaVA-1.5 only: preprocesses images into [images, 3, size, size] pixel values in the compute dtype. */
	public NDArray pixelValues(NDManager scope, List<RgbImage> rgbImages) {
		return llavaVision("pixelValues").pixelValues(scope, rgbImages);
	}

	/** LLaVA-1.5 only: vision tower and projector, [images, image tokens, text hidden]. */
	public NDArray imageFeatures(NDArray pixelValues) {
		return llavaVision("imageFeatures").features(pixelValues);
	}

	/**
	 * Prompt embeddings [n, hidden]: token embeddings, with the image tokens replaced, in order, by
	 * {@code imageFeatures}: [image tokens of the prompt, hidden], or [images, tokens per image, hidden].
	 */
	public NDArray inputEmbeddings(NDManager scope, EncodedPrompt prompt, @Nullable NDArray imageFeatures) {
		long[] ids = prompt.ids().clone();
		boolean[] isImage = prompt.layout().imageMask();
		for (int i = 0; i < ids.length; i++) {
			if (isImage[i]) {
				ids[i] = 0; // placeholder ids may lie outside the vocabulary; their rows are replaced below
			}
		}
		NDArray text = this.language.embed(scope, ids);
		int imageTokens = prompt.layout().imageTokenCount();
		if (imageTokens == 0) {
			return text;
		}
		NDArray features = imageFeatures == null ? null
				: imageFeatures.getShape().dimension() == 3 ? imageFeatures.reshape(-1, imageFeatures.getShape().get(2))
						: imageFeatures;
		if (features == null || features.getShape().get(0) != imageTokens) {
			throw new IllegalArgumentException("expected features for " + imageTokens + " image tokens, got "
					+ (features == null ? "none" : features.getShape().get(0)));
		}
		NDList pieces = new NDList();
		int used = 0;
		int i = 0;
		while (i < ids.length) {
			int j = i;
			while (j < ids.length && isImage[j] == isImage[i]) {
				j++;
			}
			if (isImage[i]) {
				pieces.add(features.get(scope, new NDIndex("{}:{}", used, used + (j - i))));
				used += j - i;
			}
			else {
				pieces.add(text.get(scope, new NDIndex("{}:{}", i, j)));
			}
			i = j;
		}
		return pieces.size() == 1 ? pieces.get(0) : NDArrays.concat(pieces, 0);
	}

	/** A KV cache for one request, with room for {@code capacity} entries per layer before it grows. */
	public KvCache newCache(NDManager scope, int capacity) {
		return new KvCache(scope, this.config.text().numLayers(), this.config.text().numKvHeads(),
				this.config.text().headDim(), this.dtype, capacity);
	}

	/**
	 * Runs embeddings through the decoder, rotated by their sequence indices (right for every family without
	 * images, and for all but Qwen2-VL with them); see {@link LanguageModel#forward}.
	 */
	public NDArray forward(NDManager scope, NDArray embeddings, KvCache cache, int position, AttentionObserver observer,
			boolean allRows) {
		return this.language.forward(scope, embeddings, cache, position, observer, allRows);
	}

	/** Runs embeddings through the decoder, rotated by the prompt's positions ({@link EncodedPrompt#positions()}). */
	public NDArray forward(NDManager scope, NDArray embeddings, KvCache cache, int position, AttentionObserver observer,
			boolean allRows, RotaryPositions rotary) {
		return this.language.forward(scope, embeddings, cache, position, observer, allRows, rotary);
	}

	/** One piece of a prompt's prefill; see {@link LanguageModel#prefill}. */
	public @Nullable NDArray prefill(NDManager scope, NDArray embeddings, KvCache cache, int position,
			int promptLength, AttentionObserver observer, RotaryPositions rotary, boolean lastRowLogits) {
		return this.language.prefill(scope, embeddings, cache, position, promptLength, observer, rotary,
				lastRowLogits);
	}

	/**
	 * One decoding step of several sequences in one pass over the weights; see {@link LanguageModel#decode}.
	 * Returns float32 logits [sequences, vocab].
	 */
	public NDArray decode(NDManager scope, long[] ids, List<KvCache> caches, int[] indices,
			List<RotaryPositions> rotary) {
		return this.language.decode(scope, ids, caches, indices, rotary);
	}

	/** KV-cache bytes of one token over all layers (keys and values, in the compute dtype). */
	public long kvBytesPerToken() {
		return 2L * this.config.text().numLayers() * this.config.text().numKvHeads() * this.config.text().headDim()
				* this.dtype.getNumOfBytes();
	}

	/** Embeddings of text tokens, for decoding steps. */
	public NDArray embedTokens(NDManager scope, long... ids) {
		return this.language.embed(scope, ids);
	}

	/** Whether the model is loaded and can serve (not closed). */
	public boolean isOpen() {
		return this.manager.isOpen();
	}

	@Override
	public void close() {
		if (this.manager.isOpen()) {
			this.manager.close();
			this.tokenizer.close();
		}
	}

}
