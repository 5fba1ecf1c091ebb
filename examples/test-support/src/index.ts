export * from "./turn-through-cut";
