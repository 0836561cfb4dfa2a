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

	/** A fixture of the repository's own {@code fixtures/}, whatever {@code vlcache.fixtures} says. */
	public static Path inRepository(String name) {
		Path repo = Paths.get(System.getProperty("vlcache.root", "..")).toAbsolutePath().normalize();
		return repo.resolve("fixtures").resolve(name);
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

	/**
	 * The LLaVA-1.5 fixture ({@code model_type: llava}), for tests that need a real checkpoint and know its
	 * prompt ("what color is the circle ?") and image.
	 */
	public static Path first() {
		for (Path folder : folders()) {
			try {
				if (Files.readString(folder.resolve("config.json")).matches("(?s).*\"model_type\"\\s*:\\s*\"llava\".*")) {
					return folder;
				}
			}
			catch (IOException ex) {
				throw new IllegalStateException(ex);
			}
		}
		throw new IllegalStateException("No llava fixture folder under " + root());
	}

	/** Copies the files of fixture folder {@code from} into {@code to}, for tests that alter a checkpoint. */
	public static Path copy(Path from, Path to) throws IOException {
		Files.createDirectories(to);
		try (Stream<Path> files = Files.list(from)) {
			for (Path f : files.toList()) {
				Files.copy(f, to.resolve(f.getFileName()));
			}
		}
		return to;
	}

}
