package dev.vlcache.demo.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.List;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.EmbeddedModel;

/**
 * The tiny LLaVA model trained on the demo task (see the {@code vlcache-demo-training} module), used by the
 * starter when no model folder is configured.
 */
public final class DemoModel implements EmbeddedModel {

	/** The name the starter reports, e.g. in health details. */
	public static final String NAME = "vlcache-demo";

	static final String RESOURCES = "dev/vlcache/demo/model/";

	/** The checkpoint's files. */
	static final List<String> FILES = List.of("config.json", "generation_config.json", "model.safetensors",
			"preprocessor_config.json", "tokenizer.json", "tokenizer_config.json");

	private static final Object LOCK = new Object();

	private static @Nullable Path extracted;

	@Override
	public String name() {
		return NAME;
	}

	@Override
	public Path folder() {
		synchronized (LOCK) {
			if (extracted == null) {
				extracted = locate(DemoModel.class.getClassLoader());
			}
			return extracted;
		}
	}

	/** The checkpoint folder {@code loader} holds, copied out of its jar if it is in one. */
	static Path locate(ClassLoader loader) {
		URL config = loader.getResource(RESOURCES + "config.json");
		if (config == null) {
			throw new IllegalStateException("The demo model's checkpoint is missing from the class path ("
					+ RESOURCES + "config.json); rebuild vlcache-demo-model");
		}
		if ("file".equals(config.getProtocol())) {
			try {
				return Paths.get(config.toURI()).getParent();
			}
			catch (URISyntaxException ex) {
				throw new IllegalStateException(ex);
			}
		}
		try {
			// Inside a jar: the loader reads files, so copy the checkpoint out once per process.
			Path dir = Files.createTempDirectory("vlcache-demo-model-");
			// Registered before its files: exit deletes in reverse order, and a folder only once it is empty.
			dir.toFile().deleteOnExit();
			for (String name : FILES) {
				try (InputStream in = loader.getResourceAsStream(RESOURCES + name)) {
					if (in == null) {
						throw new IllegalStateException("The demo model's " + name + " is missing from the jar");
					}
					Path target = dir.resolve(name);
					Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
					target.toFile().deleteOnExit();
				}
			}
			return dir;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not extract the demo model", ex);
		}
	}

}
