// deck.gl point layers drawn without instancing: each mark is two triangles of its own.
//
// Why: deck.gl draws a ScatterplotLayer or IconLayer as one quad instanced once per object.
// Under software WebGL (SwiftShader, which is what a browser without a GPU runs, and what the
// dashboard benchmark runs) every instance of an instanced draw is processed as a draw of its
// own: 10,000 instanced quads cost ~230 ms per redraw where the same 60,000 vertices drawn
// plainly cost ~30 ms (measured in the same page). On a GPU both are cheap.
//
// How: the layer is given data six times as long as the number of marks (one entry per vertex,
// see expand()), every attribute is read per vertex instead of per instance, the quad corner
// becomes an attribute repeating the six corners of two triangles, and the picking colour of
// vertex i is that of mark floor(i / 6), so picking still reports the mark's index. The
// shaders are deck.gl's own, unchanged.

/** Corners of the two triangles of a quad, in the order every mark repeats them. */
const CORNERS = [-1, -1, 1, -1, -1, 1, -1, 1, 1, -1, 1, 1];

export const VERTICES_PER_MARK = 6;

/** A subclass of `Base` (a deck.gl point layer whose quad corner attribute is `positions` with
 * `cornerSize` components) that draws without instancing. Its data must hold one entry per
 * vertex (six per mark). */
export function flatLayer(Base, cornerSize) {
  class Flat extends Base {
    initializeState(context) {
      super.initializeState(context);
      const am = this.getAttributeManager();
      am.add({ positions: { size: cornerSize, noAlloc: true, update: this.fillCorners } });
    }

    /** deck.gl's buffer layouts with every attribute read per vertex. */
    vertexLayouts(model) {
      return this.getAttributeManager()
        .getBufferLayouts(model)
        .map((l) => ({ ...l, stepMode: "vertex" }));
    }

    _setModelAttributes(model, changed, layoutChanged = false) {
      let attributes = changed;
      if (layoutChanged) {
        model.setBufferLayout(this.vertexLayouts(model));
        attributes = this.getAttributeManager().getAttributes();
      }
      super._setModelAttributes(model, attributes, false);
    }

    fillCorners(attribute, { numInstances }) {
      const n = numInstances * cornerSize;
      let value = this.state.flatCorners;
      if (!value || value.length < n) {
        value = new Float32Array(Math.max(n, 1024 * VERTICES_PER_MARK * cornerSize));
        for (let v = 0; v < value.length / cornerSize; v++) {
          const c = v % VERTICES_PER_MARK;
          value[v * cornerSize] = CORNERS[2 * c];
          value[v * cornerSize + 1] = CORNERS[2 * c + 1];
        }
        this.state.flatCorners = value;
      }
      attribute.value = value.subarray(0, n);
    }

    calculateInstancePickingColors(attribute, { numInstances }) {
      if (attribute.constant) return;
      let value = this.state.flatPicking;
      if (!value || value.length < numInstances * 4) {
        value = new Uint8ClampedArray(Math.max(numInstances, 1024 * VERTICES_PER_MARK) * 4);
        const c = [0, 0, 0];
        for (let v = 0; v < value.length / 4; v++) {
          this.encodePickingColor(Math.floor(v / VERTICES_PER_MARK), c);
          value[4 * v] = c[0];
          value[4 * v + 1] = c[1];
          value[4 * v + 2] = c[2];
        }
        this.state.flatPicking = value;
      }
      attribute.value = value.subarray(0, numInstances * 4);
    }

    _getModel() {
      const probe = super._getModel();
      const Model = probe.constructor;
      probe.destroy();
      return new Model(this.context.device, {
        ...this.getShaders(),
        id: this.props.id,
        bufferLayout: this.vertexLayouts(),
        topology: "triangle-list",
        vertexCount: 0,
        isInstanced: false,
      });
    }

    draw(options) {
      this.state.model?.setVertexCount(this.getNumInstances());
      super.draw(options);
    }
  }
  Flat.layerName = `Flat${Base.layerName}`;
  return Flat;
}

/** Grow `target` (a typed array) to hold `n` marks of `size` values each, repeated six times;
 * returns the (possibly new) array with marks' values copied from `source`. */
export function expand(source, n, size, target) {
  const need = n * size * VERTICES_PER_MARK;
  let out = target;
  if (!out || out.length < need) out = new source.constructor(Math.max(need, 1024 * size * VERTICES_PER_MARK));
  let o = 0;
  for (let i = 0; i < n; i++) {
    const s = i * size;
    for (let v = 0; v < VERTICES_PER_MARK; v++) {
      for (let k = 0; k < size; k++) out[o++] = source[s + k];
    }
  }
  return out;
}
