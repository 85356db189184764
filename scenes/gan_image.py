"""Pictures for the GAN scenes: a D(x) colour map, a smooth image of it, its colour bar, and a camera that draws images.

``ImageCamera``: manim 0.22's Camera pastes an ImageMobject through
``Image.fromarray(np.zeros((h, w)), mode="RGBA")``, which Pillow >= 11 refuses ("Invalid mode
for data type"). The GAN scenes only draw axis-aligned images, so this camera resizes the
image to its pixel box and overlays it (bilinear), with no perspective transform.

The colour map is a view choice, not maths: D = 0 (the discriminator is sure it is fake) is the
"fake" colour, D = 1/2 (it cannot tell) a neutral grey that differs from the background, D = 1
the "real" colour; every cell is blended with the background at ``STRENGTH`` so points drawn on
top stay visible.
"""
from __future__ import annotations

import numpy as np
from manim import DOWN, UP, Camera, ImageMobject, VGroup
from manim.utils.color import ManimColor
from PIL import Image

STRENGTH = 0.55   # how much of the colour map shows over the background


class ImageCamera(Camera):
    def display_image_mobject(self, image_mobject, pixel_array: np.ndarray) -> None:
        xy = self.points_to_subpixel_coords(image_mobject, image_mobject.points)  # [4, 2] corners in pixels
        x0, y0 = (int(np.floor(v)) for v in xy.min(axis=0))
        x1, y1 = (int(np.ceil(v)) for v in xy.max(axis=0))
        if x1 - x0 < 1 or y1 - y0 < 1:
            return
        sub = Image.fromarray(np.ascontiguousarray(image_mobject.get_pixel_array(), dtype=np.uint8), mode="RGBA")
        sub = sub.resize((x1 - x0, y1 - y0), resample=Image.Resampling.BILINEAR)
        full = Image.new("RGBA", (self.pixel_width, self.pixel_height), (0, 0, 0, 0))
        full.paste(sub, (x0, y0))
        self.overlay_PIL_image(pixel_array, full)


def scale_text(scene, s: str, size: float, color):
    """A label of a position on a scale (axis tick, colour-bar end): it shows no trace value, and says so."""
    t = scene.text(s, size=size, color=color)
    t.gatelab_source = "scale"
    return t


def _rgb(c) -> np.ndarray:
    return np.array(ManimColor(c).to_rgb(), dtype=np.float64)  # [3] in [0, 1]


def d_rgba(d: np.ndarray, fake, real, neutral, background) -> np.ndarray:
    """D values [H, W] in [0, 1] -> RGBA uint8 [H, W, 4]: fake (0) -> neutral (1/2) -> real (1), over the background."""
    d = np.clip(np.asarray(d, dtype=np.float64), 0.0, 1.0)[..., None]  # [H, W, 1]
    lo, mid, hi, bg = _rgb(fake), _rgb(neutral), _rgb(real), _rgb(background)
    t = np.where(d < 0.5, d / 0.5, (d - 0.5) / 0.5)
    c = np.where(d < 0.5, lo + (mid - lo) * t, mid + (hi - mid) * t)  # [H, W, 3]
    c = bg + STRENGTH * (c - bg)
    rgba = np.concatenate([c, np.ones_like(d)], axis=-1)
    return np.round(255 * rgba).astype(np.uint8)


def d_image(d_rows_y: np.ndarray, scene, width: float, height: float) -> ImageMobject:
    """An image of D(x) on a grid whose rows are y (row 0 = lowest y): flipped so y points up on screen."""
    rgba = d_rgba(np.asarray(d_rows_y)[::-1], scene.role("fake"), scene.role("real"), scene.neutral(),
                  scene.camera.background_color)
    im = ImageMobject(rgba)
    im.stretch_to_fit_width(width)
    im.stretch_to_fit_height(height)
    im.z_index = -10
    return im


def colour_bar(scene, width: float = 2.8, height: float = 0.2):
    """A horizontal bar 0 -> 1 with tick labels and the meaning of each end; returns a Group."""
    from manim import Group

    ramp = np.linspace(0.0, 1.0, 256)[None, :].repeat(2, axis=0)  # [2, 256]
    bar = ImageMobject(d_rgba(ramp, scene.role("fake"), scene.role("real"), scene.neutral(),
                              scene.camera.background_color))
    bar.stretch_to_fit_width(width)
    bar.stretch_to_fit_height(height)
    title = scene.text("background: D(x) = P(real)", size=15, color=scene.muted)
    ticks = VGroup()
    for v, word, col in ((0.0, "0\nfake", scene.role("fake")), (0.5, "0.5\ncan't tell", scene.muted),
                         (1.0, "1\nreal", scene.role("real"))):
        t = scale_text(scene, word, 14, col)
        t.next_to(bar.get_corner(DOWN + np.array([-1, 0, 0])) + (v * width) * np.array([1, 0, 0]), DOWN, buff=0.08)
        ticks.add(t)
    ticks[0].align_to(bar, np.array([-1, 0, 0]))
    ticks[2].align_to(bar, np.array([1, 0, 0]))
    title.next_to(bar, UP, buff=0.08)
    return Group(title, bar, ticks)
