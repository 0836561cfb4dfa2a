package dev.vlcache.core.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.jspecify.annotations.Nullable;

/**
 * All tensors of a checkpoint folder, single-file or sharded, under canonical names that hide which llava-hf
 * layout the checkpoint uses.
 *
 * <p>
 * Canonical names: {@code text.*} for the decoder body ({@code embed_tokens}, {@code layers.N.*}, {@code norm}),
 * {@code lm_head.weight}, {@code vision.*} for the vision model ({@code embeddings.*}, {@code encoder.layers.N.*},
 * ...), and {@code projector.*} for the multi-modal projector. Both the classic layout
 * ({@code language_model.model.*}, {@code vision_tower.vision_model.*}, {@code multi_modal_projector.*}) and the
 * newer one ({@code model.language_model.*}, {@code model.vision_tower.vision_model.*},
 * {@code model.multi_modal_projector.*}, top-level {@code lm_head.weight}) map onto them, as do LLaVA-NeXT's
 * {@code image_newline} and Qwen2-VL's {@code model.*} decoder and {@code visual.*} tower (in either layout).
 */
public final class WeightIndex {

	private static final String[][] PREFIXES = { { "language_model.model.", "text." },
			{ "model.language_model.", "text." }, { "language_model.lm_head.", "lm_head." }, { "lm_head.", "lm_head." },
			{ "vision_tower.vision_model.", "vision." }, { "model.vision_tower.vision_model.", "vision." },
			{ "multi_modal_projector.", "projector." }, { "model.multi_modal_projector.", "projector." },
			{ "image_newline", "image_newline" }, { "model.image_newline", "image_newline" },
			{ "visual.", "visual." }, { "model.visual.", "visual." },
			// Qwen2-VL's decoder body, last: every more specific "model." prefix is matched above.
			{ "model.", "text." } };

	private final Path folder;

	private final Map<String, TensorEntry> byCanonicalName;

	private WeightIndex(Path folder, Map<String, TensorEntry> byCanonicalName) {
		this.folder = folder;
		this.byCanonicalName = byCanonicalName;
	}

	/**
	 * Indexes the safetensors files of {@code folder}: {@code model.safetensors.index.json} when present (every
	 * shard it names must exist), otherwise {@code model.safetensors}, otherwise every {@code *.safetensors} file.
	 */
	public static WeightIndex open(Path folder) {
		List<Path> files = weightFiles(folder);
		Map<String, TensorEntry> entries = new LinkedHashMap<>();
		for (Path file : files) {
			for (TensorEntry entry : SafetensorsFile.readEntries(file)) {
				String canonical = canonicalName(entry.name());
				if (canonical != null) {
					entries.put(canonical, entry);
				}
			}
		}
		return new WeightIndex(folder, entries);
	}

	private static List<Path> weightFiles(Path folder) {
		Path index = folder.resolve("model.safetensors.index.json");
		if (Files.isRegularFile(index)) {
			Set<String> shards = new LinkedHashSet<>();
			try {
				JsonObject root = JsonParser.parseString(Files.readString(index)).getAsJsonObject();
				JsonObject map = root.getAsJsonObject("weight_map");
				if (map == null) {
					throw new CheckpointException("Malformed " + index + ": no \"weight_map\" object");
				}
				for (Map.Entry<String, JsonElement> e : map.entrySet()) {
					shards.add(e.getValue().getAsString());
				}
			}
			catch (IOException | RuntimeException ex) {
				if (ex instanceof CheckpointException ce) {
					throw ce;
				}
				throw new CheckpointException("Malformed " + index + ": " + ex.getMessage(), ex);
			}
			List<Path> files = new ArrayList<>();
			for (String shard : shards) {
				Path file = folder.resolve(shard);
				if (!Files.isRegularFile(file)) {
					throw new CheckpointException("Missing shard " + file + " listed in " + index);
				}
				files.add(file);
			}
			return files;
		}
		Path single = folder.resolve("model.safetensors");
		if (Files.isRegularFile(single)) {
			return List.of(single);
		}
		try (Stream<Path> list = Files.list(folder)) {
			List<Path> files = list.filter(p -> p.getFileName().toString().endsWith(".safetensors"))
				.filter(p -> !p.getFileName().toString().equals("expected.safetensors"))
				.sorted()
				.toList();
			if (files.isEmpty()) {
				throw new CheckpointException("No weights in " + folder
						+ ": expected model.safetensors or model.safetensors.index.json with its shards");
			}
			return files;
		}
		catch (IOException ex) {
			throw new CheckpointException("Cannot list checkpoint folder " + folder + ": " + ex.getMessage(), ex);
		}
	}

	static @Nullable String canonicalName(String stored) {
		for (String[] p : PREFIXES) {
			if (stored.startsWith(p[0])) {
				return p[1] + stored.substring(p[0].length());
			}
		}
		return null;
	}

	public Path folder() {
		return this.folder;
	}

	public @Nullable TensorEntry find(String canonicalName) {
		return this.byCanonicalName.get(canonicalName);
	}

	public boolean contains(String canonicalName) {
		return this.byCanonicalName.containsKey(canonicalName);
	}

	/** The entry for a required tensor; a missing one is reported with the names a checkpoint may use for it. */
	public TensorEntry require(String canonicalName) {
		TensorEntry entry = find(canonicalName);
		if (entry == null) {
			throw new CheckpointException("Missing tensor " + storedNames(canonicalName) + " in " + this.folder);
		}
		return entry;
	}

	private static String storedNames(String canonical) {
		List<String> names = new ArrayList<>();
		for (String[] p : PREFIXES) {
			if (canonical.startsWith(p[1])) {
				names.add("'" + p[0] + canonical.substring(p[1].length()) + "'");
			}
		}
		return String.join(" or ", names);
	}

	public int size() {
		return this.byCanonicalName.size();
	}

}
