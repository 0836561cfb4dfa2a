package dev.vlcache.autoconfigure;

import java.nio.file.Path;

import dev.vlcache.core.EmbeddedModel;

/** Stands in for the demo-model module in tests: an {@link EmbeddedModel} found through the service loader. */
public class FixtureEmbeddedModel implements EmbeddedModel {

	@Override
	public String name() {
		return "fixture";
	}

	@Override
	public Path folder() {
		return TestFixtures.checkpoint();
	}

}
