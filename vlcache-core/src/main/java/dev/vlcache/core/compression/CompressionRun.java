package dev.vlcache.core.compression;

import dev.vlcache.core.text.AttentionObserver;

/** One prompt's compression: observes prefill attention, then plans what each layer keeps. */
public interface CompressionRun extends AttentionObserver {

	/** Called once, after prefill. */
	KeepPlan plan();

}
