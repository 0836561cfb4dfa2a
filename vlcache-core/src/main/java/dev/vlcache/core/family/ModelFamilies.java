package dev.vlcache.core.family;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

import dev.vlcache.core.checkpoint.CheckpointException;

/** The model families on the class path ({@link ServiceLoader}), by {@code model_type}. */
public final class ModelFamilies {

	private static final Map<String, ModelFamily> BY_TYPE = load();

	private ModelFamilies() {
	}

	private static Map<String, ModelFamily> load() {
		Map<String, ModelFamily> byType = new TreeMap<>();
		for (ModelFamily family : ServiceLoader.load(ModelFamily.class, ModelFamily.class.getClassLoader())) {
			for (String type : family.modelTypes()) {
				ModelFamily previous = byType.put(type, family);
				if (previous != null && previous.getClass() != family.getClass()) {
					throw new IllegalStateException("model_type '" + type + "' is claimed by " + previous.getClass()
						.getName() + " and " + family.getClass().getName());
				}
			}
		}
		return Map.copyOf(byType);
	}

	/** The {@code model_type} values that load, sorted. */
	public static List<String> supportedTypes() {
		return new TreeMap<>(BY_TYPE).keySet().stream().toList();
	}

	/** The family of {@code modelType}; an unknown one is refused, listing the supported types. */
	public static ModelFamily forType(String modelType, Path configFile) {
		ModelFamily family = BY_TYPE.get(modelType);
		if (family == null) {
			throw new CheckpointException("Unsupported model_type '" + modelType + "' in " + configFile
					+ "; supported: " + String.join(", ", supportedTypes()));
		}
		return family;
	}

}
