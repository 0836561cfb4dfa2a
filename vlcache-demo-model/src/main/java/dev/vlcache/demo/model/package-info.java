/**
 * The demo model as an {@link dev.vlcache.core.EmbeddedModel}: the checkpoint ships as resources of this jar and
 * is extracted to a temporary folder when it is not already a folder on disk.
 */
@NullMarked
package dev.vlcache.demo.model;

import org.jspecify.annotations.NullMarked;
