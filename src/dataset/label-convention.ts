import { invalidArgument } from '../errors/cxr-error';

/**
 * How raw manifest cells become binary targets. Public chest-radiograph datasets disagree:
 * CheXpert/MIMIC-CXR write -1 for "uncertain" and leave unmentioned findings blank, UKA-CXR
 * grades 0-4. The study mapped uncertain and blank to negative and grade >= 3 to positive.
 */
export interface LabelConvention {
  /** What -1 means. Default 'negative' (the study). */
  uncertain: 'negative' | 'positive';
  /** What an empty cell means. Default 'negative'; 'reject' makes blanks an error. */
  blank: 'negative' | 'reject';
  /** A numeric value >= this is positive. Default 1 (binary labels); 3 for UKA-CXR grades. */
  positiveAtOrAbove: number;
}

export const DEFAULT_LABEL_CONVENTION: LabelConvention = Object.freeze({
  uncertain: 'negative',
  blank: 'negative',
  positiveAtOrAbove: 1,
});

/**
 * Maps one cell to 0 or 1. `where` names the row and column for the error message; the cell's
 * own text is never echoed because a malformed manifest may hold identifiers in any column.
 */
export function binaryLabel(raw: string, convention: LabelConvention, where: string): 0 | 1 {
  const text = raw.trim();
  if (text === '') {
    if (convention.blank === 'reject') throw invalidArgument(`${where}: label is blank and blank labels are not allowed`);
    return 0;
  }
  const value = Number(text);
  if (!Number.isFinite(value)) throw invalidArgument(`${where}: label is not a number`);
  if (value === -1) return convention.uncertain === 'positive' ? 1 : 0;
  if (value < 0) throw invalidArgument(`${where}: label is negative (only -1, meaning uncertain, is allowed)`);
  return value >= convention.positiveAtOrAbove ? 1 : 0;
}
