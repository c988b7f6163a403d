/** An area as people read it on the terminal and in reports: m² below a hectare, ha below a km², else km². */
export function formatArea(m2: number): string {
  return m2 < 1e4 ? `${Math.round(m2)} m²` : m2 < 1e6 ? `${(m2 / 1e4).toFixed(2)} ha` : `${(m2 / 1e6).toFixed(3)} km²`;
}
