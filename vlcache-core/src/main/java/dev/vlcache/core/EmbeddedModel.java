package dev.vlcache.core;

import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A checkpoint shipped inside a jar (the demo model), found through {@link ServiceLoader}. Applications that set
 * no model folder run on the first one found.
 */
public interface EmbeddedModel {

	/** A short name, e.g. {@code vlcache-demo}. */
	String name();

	/** A folder holding the checkpoint, extracted from the jar if needed. */
	Path folder();

	/** The first embedded model on the class path, if any. */
	static Optional<EmbeddedModel> find(ClassLoader classLoader) {
		return ServiceLoader.load(EmbeddedModel.class, classLoader).findFirst();
	}

}
