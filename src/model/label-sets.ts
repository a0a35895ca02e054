/**
 * Finding label sets. DEFAULT_FINDINGS is the union of the ChestX-ray14 and CheXpert label sets
 * (21 findings), the set the bundled demo model and new heads default to.
 */
export const DEFAULT_FINDINGS: readonly string[] = [
  'Atelectasis', 'Cardiomegaly', 'Consolidation', 'Edema', 'Pleural Effusion', 'Emphysema', 'Fibrosis',
  'Hernia', 'Infiltration', 'Mass', 'Nodule', 'Pleural Thickening', 'Pneumonia', 'Pneumothorax',
  'Enlarged Cardiomediastinum', 'Fracture', 'Lung Lesion', 'Lung Opacity', 'Pleural Other',
  'Support Devices', 'No Finding',
];
