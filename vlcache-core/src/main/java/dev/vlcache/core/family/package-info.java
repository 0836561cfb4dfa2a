/**
 * What makes a model family: its image processor ({@link dev.vlcache.core.family.ImagePreparer}), its vision
 * encoder and the way its features become prompt embeddings ({@link dev.vlcache.core.family.VisionEncoder}) and its
 * rotary position scheme ({@link dev.vlcache.core.family.PositionScheme}), chosen from {@code config.json}'s
 * {@code model_type} ({@link dev.vlcache.core.family.ModelFamilies}). Each family lives in a sub-package.
 */
@NullMarked
package dev.vlcache.core.family;

import org.jspecify.annotations.NullMarked;
