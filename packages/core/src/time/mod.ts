/** The remainder of `a / b` with the sign of `b`: instants before 1970 floor to earlier boundaries too. */
export function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
