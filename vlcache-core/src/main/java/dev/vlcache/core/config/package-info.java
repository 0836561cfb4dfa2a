/**
 * The Hugging Face configuration files of a checkpoint folder, parsed in one place: {@code config.json} and
 * {@code generation_config.json} ({@link dev.vlcache.core.config.ConfigParser}, with the defaults of each
 * sub-model type), {@code preprocessor_config.json} ({@link dev.vlcache.core.config.PreprocessorConfig}) and the
 * tokenizer's {@code tokenizer_config.json} and chat template files
 * ({@link dev.vlcache.core.config.TokenizerConfig}).
 */
@NullMarked
package dev.vlcache.core.config;

import org.jspecify.annotations.NullMarked;
