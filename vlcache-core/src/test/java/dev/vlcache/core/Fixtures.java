package dev.vlcache.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;

/** Locates the parity fixtures: {@code -Dvlcache.fixtures=DIR}, default the repository's own {@code fixtures/}. */
public final class Fixtures {

	private Fixtures() {
	}

	public static Path root() {
		String configured = System.getProperty("vlcache.fixtures");
		Path repo = Paths.get(System.getProperty("vlcache.root", "..")).toAbsolutePath().normalize();
		Path dir = configured != null && !configured.isBlank() ? Paths.get(configured) : repo.resolve("fixtures");
		if (!dir.isAbsolute() && !Files.isDirectory(dir)) {
			dir = repo.resolve(dir);
		}
		return dir.toAbsolutePath().normalize();
	}

	/** Every fixture folder (one holding config.json and expected.json) under the root. */
	public static List<Path> folders() {
		Path root = root();
		if (!Files.isDirectory(root)) {
			throw new IllegalStateException("Fixture directory " + root + " does not exist; set -Dvlcache.fixtures=DIR");
		}
		try (Stream<Path> s = Files.list(root)) {
			return s.filter(p -> Files.isRegularFile(p.resolve("config.json")) && Files.isRegularFile(p.resolve("expected.json")))
				.sorted()
				.toList();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** The first fixture, for tests that need any real checkpoint. */
	public static Path first() {
		List<Path> all = folders();
		if (all.isEmpty()) {
			throw new IllegalStateException("No fixture folder under " + root());
		}
		return all.get(0);
	}

}
