/**
 * LLaVA model configuration from {@code config.json}, with the Hugging Face defaults of each sub-model type.
 */
@NullMarked
package dev.vlcache.core.config;

import org.jspecify.annotations.NullMarked;
