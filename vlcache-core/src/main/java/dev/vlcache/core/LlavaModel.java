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
import ai.djl.ndarray.types.Shape;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.checkpoint.CheckpointException;
import dev.vlcache.core.checkpoint.WeightIndex;
import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.config.ConfigParser;
import dev.vlcache.core.config.LlavaConfig;
import dev.vlcache.core.image.ImageProcessor;
import dev.vlcache.core.image.RgbImage;
import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.runtime.DeviceSelector;
import dev.vlcache.core.template.ChatTemplate;
import dev.vlcache.core.text.AttentionObserver;
import dev.vlcache.core.text.LanguageModel;
import dev.vlcache.core.tokenizer.EncodedPrompt;
import dev.vlcache.core.tokenizer.PromptEncoder;
import dev.vlcache.core.tokenizer.TextTokenizer;
import dev.vlcache.core.vision.MultiModalProjector;
import dev.vlcache.core.vision.VisionTower;

/**
 * A LLaVA-family model loaded from a Hugging Face checkpoint folder onto DJL's PyTorch engine. Its weights belong
 * to the model's {@link NDManager}, freed by {@link #close()}. It is safe to use from several threads: each
 * request works in its own child manager ({@link #newRequestManager()}).
 *
 * <p>
 * These are the building blocks ({@link #pixelValues}, {@link #imageFeatures}, {@link #inputEmbeddings},
 * {@link #forward}); {@link dev.vlcache.core.generation.Generator} runs whole requests on top of them.
 */
public final class LlavaModel implements AutoCloseable {

	private final Path folder;

	private final LlavaConfig config;

	private final NDManager manager;

	private final Device device;

	private final DataType dtype;

	private final VisionTower vision;

	private final MultiModalProjector projector;

	private final LanguageModel language;

	private final TextTokenizer tokenizer;

	private final ChatTemplate chatTemplate;

	private final PromptEncoder promptEncoder;

	private final ImageProcessor imageProcessor;

	private final long parameterCount;

	private final long decoderParameterCount;

	private final java.util.Set<Integer> eosTokenIds;

	private LlavaModel(Path folder, ModelOptions options) {
		this.folder = folder;
		if (!Files.isDirectory(folder)) {
			throw new CheckpointException("Model folder " + folder + " does not exist or is not a directory");
		}
		this.config = ConfigParser.parse(folder);
		this.device = DeviceSelector.selectDevice(options.device());
		this.dtype = DeviceSelector.selectDtype(options.dtype(), this.device);
		this.imageProcessor = ImageProcessor.load(folder);
		int[] size = this.imageProcessor.outputSize();
		if (size[0] > 0 && (size[0] != this.config.vision().imageSize() || size[1] != this.config.vision().imageSize())) {
			throw new CheckpointException("preprocessor_config.json in " + folder + " produces " + size[1] + "x" + size[0]
					+ " images but the vision tower expects " + this.config.vision().imageSize() + "x"
					+ this.config.vision().imageSize());
		}
		this.chatTemplate = ChatTemplate.load(folder);
		this.tokenizer = TextTokenizer.load(folder);
		WeightIndex index = WeightIndex.open(folder);
		this.manager = Engine.getEngine("PyTorch").newBaseManager(this.device);
		try {
			WeightLoader loader = new WeightLoader(index, this.manager, this.dtype);
			this.vision = new VisionTower(loader, this.config);
			this.projector = new MultiModalProjector(loader, this.config);
			long beforeDecoder = loader.loadedParameters();
			this.language = new LanguageModel(loader, this.config.text(), false, this.dtype, options.prefillChunkTokens());
			this.parameterCount = loader.loadedParameters();
			this.decoderParameterCount = this.parameterCount - beforeDecoder;
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
				this.config.imageTokensPerImage(), this.config.text().maxPositionEmbeddings());
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

	public LlavaConfig config() {
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

	public ImageProcessor imageProcessor() {
		return this.imageProcessor;
	}

	public int numLayers() {
		return this.language.numLayers();
	}

	/** A manager for one request's arrays; closing it frees all of them. */
	public NDManager newRequestManager() {
		return this.manager.newSubManager();
	}

	/** Preprocesses images into [images, 3, size, size] pixel values in the compute dtype. */
	public NDArray pixelValues(NDManager scope, List<RgbImage> images) {
		int[] size = this.imageProcessor.outputSize();
		int s = this.config.vision().imageSize();
		float[] all = new float[images.size() * 3 * s * s];
		for (int i = 0; i < images.size(); i++) {
			float[] one = this.imageProcessor.preprocess(images.get(i));
			if (one.length != 3 * s * s) {
				throw new IllegalArgumentException("image " + (i + 1) + " preprocessed to " + one.length / 3
						+ " pixels, expected " + s + "x" + s + " (check preprocessor_config.json; size " + size[0] + ")");
			}
			System.arraycopy(one, 0, all, i * one.length, one.length);
		}
		NDArray pixels = scope.create(all, new Shape(images.size(), 3, s, s));
		return this.dtype == DataType.FLOAT32 ? pixels : pixels.toType(this.dtype, false);
	}

	/** Vision tower and projector: [images, image tokens, text hidden]. */
	public NDArray imageFeatures(NDArray pixelValues) {
		return this.projector.forward(this.vision.forward(pixelValues));
	}

	/**
	 * Prompt embeddings [n, hidden]: token embeddings, with each image's run of image tokens replaced by that
	 * image's features, in order.
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
		if (prompt.images() == 0) {
			return text;
		}
		if (imageFeatures == null || imageFeatures.getShape().get(0) != prompt.images()) {
			throw new IllegalArgumentException("expected features for " + prompt.images() + " image(s)");
		}
		NDList pieces = new NDList();
		int image = 0;
		int i = 0;
		while (i < ids.length) {
			int j = i;
			while (j < ids.length && isImage[j] == isImage[i]) {
				j++;
			}
			if (isImage[i]) {
				int perImage = this.config.imageTokensPerImage();
				for (int k = i; k < j; k += perImage) {
					pieces.add(imageFeatures.get(scope, new NDIndex("{}", image++)));
				}
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

	/** Runs embeddings through the decoder; see {@link LanguageModel#forward}. */
	public NDArray forward(NDManager scope, NDArray embeddings, KvCache cache, int position, AttentionObserver observer,
			boolean allRows) {
		return this.language.forward(scope, embeddings, cache, position, observer, allRows);
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
